import { ConfigError } from "../errors.js";

/**
 * One limited key's rule. Within a window (opened by the key's first attempt) the n-th attempt is let
 * through when n ≤ `max` and, beyond the first `free` attempts, once `step`·k(k+1)/2 ms have passed since
 * the window opened (k = n − free): the wait between attempts grows by `step` each time.
 */
export interface AttemptRule {
  /** Attempts let through per window (the hard limit). */
  max: number;
  /** The window, in milliseconds. */
  window: number;
  /** Attempts let through at once before the growing delay starts (default: `max`, i.e. no delay). */
  free?: number;
  /** The growth of the delay per attempt beyond `free`, in milliseconds (default 0). */
  step?: number;
}

/** The answer to one attempt: let through (counted in every bucket), or refused (counted in none) with the wait. */
export type TakeResult =
  | {
      /** Let through. */
      allowed: true;
      /** When each bucket's current window began (ms since the epoch), in the order asked. */
      windowStarts: number[];
    }
  | {
      /** Refused. */
      allowed: false;
      /** How long until the fullest bucket lets one more through. */
      retryAfterMs: number;
    };

/** A bucket (a digest of the limited key) and its rule. */
export type LimitedBucket = readonly [bucket: string, rule: AttemptRule];

/**
 * Where attempts are counted. `take` counts one attempt in every bucket, in order, each with one
 * atomic increment-and-read, so parallel attempts can never all see a count below the limit (the flaw
 * of check, hash, then record); the first bucket that refuses stops it, and the ones before it get
 * their attempt back, all in one transaction. Implement it to count somewhere else (e.g. Redis).
 */
export interface AttemptStore {
  /** Counts one attempt in each bucket at time `now` (ms), or refuses with the wait and counts none. */
  take(buckets: readonly LimitedBucket[], now: number): Promise<TakeResult>;
  /** Gives back one attempt taken in the windows that opened at `windowStarts` (a successful login). */
  refund(buckets: readonly string[], windowStarts: readonly number[]): Promise<void>;
  /** Forgets every count (tests). */
  clear(): Promise<void>;
}

/** The rule with its defaults filled in. */
export function fullRule(rule: AttemptRule): Required<AttemptRule> {
  const max = rule.max;
  const free = Math.min(rule.free ?? max, max);
  const step = rule.step ?? 0;
  if (!Number.isSafeInteger(max) || max < 1) throw new ConfigError("A rate-limit max must be a positive integer.");
  if (!Number.isSafeInteger(rule.window) || rule.window < 1) throw new ConfigError("A rate-limit window must be a positive number of milliseconds.");
  if (!Number.isSafeInteger(free) || free < 1) throw new ConfigError("A rate-limit free count must be a positive integer.");
  if (!Number.isSafeInteger(step) || step < 0) throw new ConfigError("A rate-limit step must be a whole number of milliseconds.");
  // Without a step there is no delay: every attempt below max is free (the stores then agree on it).
  return { max, window: rule.window, free: step === 0 ? max : free, step };
}

/**
 * The time (ms) before which the attempt after `attempts` taken ones is refused, or null when it may go
 * now. An attempt owed no delay is never refused, even one stamped before its window's start: another
 * process's clock may lag this one's a little, or its count may have waited (a Redis failover) while a
 * later attempt opened the window. The database store's SQL says the same.
 */
export function refusedUntil(attempts: number, windowStart: number, now: number, rule: Required<AttemptRule>): number | null {
  const offset = nextAllowedOffset(attempts, rule);
  return offset > 0 && now < windowStart + offset ? windowStart + offset : null;
}

/** When the attempt after `attempts` taken ones may go through, relative to the window's start (ms). */
export function nextAllowedOffset(attempts: number, rule: Required<AttemptRule>): number {
  if (attempts >= rule.max) return rule.window;
  if (attempts < rule.free) return 0;
  const k = attempts + 1 - rule.free;
  return Math.min(rule.window, (rule.step * k * (k + 1)) / 2);
}

interface Counter {
  attempts: number;
  windowStart: number;
  expiresAt: number;
}

/**
 * Counts in this process's memory: atomic because JavaScript runs one callback at a time, but each
 * process counts on its own and a restart forgets. For tests and single-process apps.
 *
 * @example
 * ```ts
 * const limiter = new LoginRateLimiter({ store: new MemoryAttemptStore(50_000) }); // or { store: "memory" }
 * ```
 */
export class MemoryAttemptStore implements AttemptStore {
  private readonly counters = new Map<string, Counter>();

  /** @param maxBuckets Buckets kept at most; beyond it expired ones are swept, then the oldest are forgotten. */
  constructor(readonly maxBuckets = 10_000) {}

  /**
   * Counts one attempt in each bucket at time `now` (ms), or refuses with the wait and counts none.
   *
   * @example
   * ```ts
   * const result = await store.take([[LoginRateLimiter.usernameKey("bob"), { max: 5, window: 60_000 }]], Date.now());
   * ```
   */
  async take(buckets: readonly LimitedBucket[], now: number): Promise<TakeResult> {
    const taken: Counter[] = [];
    for (const [bucket, rule] of buckets) {
      const full = fullRule(rule);
      let counter = this.counters.get(bucket);
      if (!counter || counter.expiresAt <= now) counter = { attempts: 0, windowStart: now, expiresAt: now + full.window };
      this.counters.delete(bucket);
      this.counters.set(bucket, counter);
      const allowedAt = refusedUntil(counter.attempts, counter.windowStart, now, full);
      if (allowedAt !== null) {
        for (const earlier of taken) earlier.attempts -= 1;
        return { allowed: false, retryAfterMs: Math.min(allowedAt, counter.expiresAt) - now };
      }
      counter.attempts += 1;
      taken.push(counter);
    }
    if (this.counters.size > this.maxBuckets) this.sweep(now);
    return { allowed: true, windowStarts: taken.map((counter) => counter.windowStart) };
  }

  /**
   * Gives back one attempt taken in the windows that opened at `windowStarts` (a successful login).
   *
   * @example
   * ```ts
   * if (result.allowed) await store.refund([LoginRateLimiter.usernameKey("bob")], result.windowStarts);
   * ```
   */
  async refund(buckets: readonly string[], windowStarts: readonly number[]): Promise<void> {
    buckets.forEach((bucket, i) => {
      const counter = this.counters.get(bucket);
      if (counter && counter.windowStart === windowStarts[i] && counter.attempts > 0) counter.attempts -= 1;
    });
  }

  /**
   * Forgets every count.
   *
   * @example
   * ```ts
   * await store.clear();
   * ```
   */
  async clear(): Promise<void> {
    this.counters.clear();
  }

  /** How many buckets are held (tests). */
  get size(): number {
    return this.counters.size;
  }

  private sweep(now: number): void {
    for (const [bucket, counter] of this.counters) if (counter.expiresAt <= now) this.counters.delete(bucket);
    // Map order is last-use order: forget the least recently used first.
    for (const bucket of this.counters.keys()) {
      if (this.counters.size <= this.maxBuckets) break;
      this.counters.delete(bucket);
    }
  }
}
