import { createHash } from "node:crypto";

export interface LoginRateLimiterOptions {
  /** Failures allowed per key within the window; the next attempt is refused (default 5). */
  maxFailures?: number;
  /** The sliding window, in milliseconds (default 15 minutes). */
  window?: number;
  /** Keys kept at most; beyond it stale keys are swept, then the oldest are forgotten (default 10 000). */
  maxKeys?: number;
  /** The clock in milliseconds (tests pass a fake one). */
  now?: () => number;
}

/**
 * Counts failed logins per key, in memory, in a sliding window. The session layer uses two keys per attempt:
 * the username as typed and the client address. Usernames are counted whether or not they exist, so the
 * limit tells nothing about which accounts are real. The counts live in this process only: several
 * processes each count on their own, and a restart forgets them.
 */
export class LoginRateLimiter {
  readonly maxFailures: number;
  readonly window: number;
  readonly maxKeys: number;
  private readonly now: () => number;
  private readonly failures = new Map<string, number[]>();

  constructor(options: LoginRateLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.window = options.window ?? 15 * 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
    if (!Number.isSafeInteger(this.maxFailures) || this.maxFailures < 1) {
      throw new RangeError("maxFailures must be a positive integer.");
    }
    if (!(this.window > 0)) throw new RangeError("window must be a positive number of milliseconds.");
  }

  /** The key for a username (hashed, so a huge username costs no memory). */
  static usernameKey(username: string): string {
    return `user:${createHash("sha256").update(username, "utf8").digest("base64url")}`;
  }

  static addressKey(address: string): string {
    return `addr:${address.slice(0, 100)}`;
  }

  /** Seconds until every key is allowed again (at least 1), or null when none of them is blocked. */
  retryAfter(keys: readonly string[]): number | null {
    const now = this.now();
    let wait = 0;
    for (const key of keys) {
      const recent = this.recent(key, now);
      if (recent.length >= this.maxFailures) {
        // Allowed again once enough failures have left the window.
        const freeAt = recent[recent.length - this.maxFailures]! + this.window;
        wait = Math.max(wait, freeAt - now);
      }
    }
    return wait > 0 ? Math.max(1, Math.ceil(wait / 1000)) : null;
  }

  recordFailure(keys: readonly string[]): void {
    const now = this.now();
    for (const key of keys) {
      const recent = this.recent(key, now);
      recent.push(now);
      if (recent.length > this.maxFailures) recent.splice(0, recent.length - this.maxFailures);
      this.failures.delete(key);
      this.failures.set(key, recent);
    }
    if (this.failures.size > this.maxKeys) this.sweep(now);
  }

  /** Forgets a key's failures (a successful login clears its username's count, not its address's). */
  reset(key: string): void {
    this.failures.delete(key);
  }

  clear(): void {
    this.failures.clear();
  }

  private recent(key: string, now: number): number[] {
    const times = this.failures.get(key);
    if (!times) return [];
    return times.filter((time) => now - time < this.window);
  }

  private sweep(now: number): void {
    for (const [key, times] of this.failures) {
      if (times.every((time) => now - time >= this.window)) this.failures.delete(key);
    }
    // Still too many: forget the least recently failed keys (Map order is last-failure order).
    for (const key of this.failures.keys()) {
      if (this.failures.size <= this.maxKeys) break;
      this.failures.delete(key);
    }
  }
}
