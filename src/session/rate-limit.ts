import { createHash } from "node:crypto";
import type { Database } from "../engine/connect.js";
import { MemoryAttemptStore, fullRule, type AttemptRule, type AttemptStore, type LimitedBucket } from "./attempt-store.js";
import { DatabaseAttemptStore } from "./attempt-store-db.js";
import { rateLimitedAddress } from "./address-prefix.js";

const MINUTE = 60_000;

/**
 * The default policy (see the README's login rate limit section): what `LoginRateLimiter` uses for each
 * rule you do not set. Start from it to loosen or tighten one rule.
 *
 * @example
 * ```ts
 * const limiter = new LoginRateLimiter({ pair: { ...DEFAULT_LIMITS.pair, max: 10 } });
 * ```
 */
export const DEFAULT_LIMITS = {
  /** One username from one address: 5 attempts per 15 minutes, then refused until the window ends. */
  pair: { max: 5, window: 15 * MINUTE },
  /** One address, any usernames: 20 attempts per 15 minutes. */
  address: { max: 20, window: 15 * MINUTE },
  /**
   * One username from anywhere: 10 attempts at once per hour, then a growing delay (the k-th further
   * attempt waits k seconds after the one before), so about 94 per hour. Never a lock-out: a real user
   * waits at most about a minute and a half, while an attacker spread over many addresses gets ~94
   * guesses an hour.
   */
  username: { max: 100, window: 60 * MINUTE, free: 10, step: 1000 },
} as const satisfies Record<string, AttemptRule>;

/** Options of `LoginRateLimiter`: where attempts are counted and the three rules. */
export interface LoginRateLimiterOptions {
  /**
   * Where attempts are counted: "database" (default when a database is known: the `login_attempts`
   * table, shared by every process), "memory" (this process only), or your own `AttemptStore`.
   */
  store?: AttemptStore | "memory" | "database";
  /** The database for the "database" store (default: the resolution order). */
  database?: string | Database;
  /** Per (username, address) rule (default `DEFAULT_LIMITS.pair`). */
  pair?: AttemptRule;
  /** Per address rule (default `DEFAULT_LIMITS.address`). */
  address?: AttemptRule;
  /** Per username rule (default `DEFAULT_LIMITS.username`). */
  username?: AttemptRule;
  /** The clock in milliseconds (tests pass a fake one). */
  now?: () => number;
}

/** A counted attempt: `succeeded()` gives it back (a successful login costs nothing). */
export interface AttemptTicket {
  /** Gives the attempt back: call it when the login succeeded. */
  succeeded(): Promise<void>;
}

/** What `LoginRateLimiter.begin` decides: go ahead (with the attempt's ticket), or wait `retryAfter` seconds. */
export type AttemptDecision =
  | {
      /** Go ahead. */
      allowed: true;
      /** The counted attempt. */
      ticket: AttemptTicket;
    }
  | {
      /** Refused for now. */
      allowed: false;
      /** Seconds to wait (the `Retry-After` header's value). */
      retryAfter: number;
    };

function digest(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("base64url");
}

/**
 * The login rate limit. Every attempt is counted BEFORE its password is hashed, in one atomic step per
 * key, and refunded when it succeeds: a burst of parallel attempts gets exactly as many hashes as the
 * limit allows, the rest are refused at once. Three keys (digests, so no username or address is stored):
 * the (username, address) pair, the address, and the username. Only the pair locks out; a username is
 * only slowed down, so failures from one address never lock its owner out from another.
 *
 * @example
 * ```ts
 * const auth = createSessionAuth({ rateLimit: new LoginRateLimiter({ store: "database", database: process.env.DATABASE_URL }) });
 *
 * // or on its own, around a login of yours:
 * const limiter = new LoginRateLimiter({ store: "memory" });
 * const decision = await limiter.begin("bob", "203.0.113.7");
 * if (!decision.allowed) throw new Error(`try again in ${decision.retryAfter} s`);
 * if ((await BaseUser.login("bob", "bob-s3cret")) !== null) await decision.ticket.succeeded();
 * ```
 */
export class LoginRateLimiter {
  /** Where attempts are counted. */
  readonly store: AttemptStore;
  /** The three rules in force, defaults filled in. */
  readonly rules: { pair: AttemptRule; address: AttemptRule; username: AttemptRule };
  private readonly now: () => number;

  constructor(options: LoginRateLimiterOptions = {}) {
    const store = options.store ?? (options.database !== undefined ? "database" : "memory");
    this.store =
      store === "memory" ? new MemoryAttemptStore() : store === "database" ? new DatabaseAttemptStore(options.database) : store;
    this.rules = {
      pair: options.pair ?? DEFAULT_LIMITS.pair,
      address: options.address ?? DEFAULT_LIMITS.address,
      username: options.username ?? DEFAULT_LIMITS.username,
    };
    // A bad rule is a ConfigError now, at start-up, not at the first login.
    for (const rule of Object.values(this.rules)) fullRule(rule);
    this.now = options.now ?? Date.now;
  }

  /**
   * The key (a SHA-256 digest, never the name) counting a username's attempts from anywhere: for an
   * `AttemptStore` of your own or an operator's tool.
   *
   * @example
   * ```ts
   * LoginRateLimiter.usernameKey("bob"); // "u:<digest>"
   * ```
   */
  static usernameKey(username: string): string {
    return `u:${digest(username)}`;
  }

  /**
   * The key (a digest) counting a client address's attempts, whatever the username: an IPv6 client is
   * counted by its /64, an IPv4-mapped one as IPv4 (see `rateLimitedAddress`).
   *
   * @example
   * ```ts
   * LoginRateLimiter.addressKey("203.0.113.7"); // "a:<digest>"
   * ```
   */
  static addressKey(address: string): string {
    return `a:${digest(rateLimitedAddress(address.slice(0, 200)))}`;
  }

  /**
   * The key (a digest) counting one account's attempts from one address (an IPv6 address by its /64):
   * the one that locks out.
   *
   * @example
   * ```ts
   * LoginRateLimiter.pairKey("bob", "203.0.113.7"); // "p:<digest>"
   * ```
   */
  static pairKey(username: string, address: string): string {
    return `p:${digest(`${rateLimitedAddress(address.slice(0, 200))}\0${username}`)}`;
  }

  /**
   * Counts one attempt for `username` from `address`, or refuses it (nothing counted) with the seconds
   * to wait. `username` is whatever names the account: the session layer passes its account key
   * (`user:<id>`, or `name:<folded identifier>` for a name nobody has), so that every spelling and
   * identifier of one account is counted together. The pair is counted first, so a refused attempt never uses up the address's or the
   * username's allowance; a key that refuses gives back what the keys before it took. Call
   * `ticket.succeeded()` after a right password so a successful login costs nothing.
   *
   * @example
   * ```ts
   * const decision = await limiter.begin(username, clientAddress);
   * if (!decision.allowed) return c.text("Too many attempts", 429, { "Retry-After": String(decision.retryAfter) });
   * ```
   */
  async begin(username: string, address: string): Promise<AttemptDecision> {
    const buckets: LimitedBucket[] = [
      [LoginRateLimiter.pairKey(username, address), this.rules.pair],
      [LoginRateLimiter.addressKey(address), this.rules.address],
      [LoginRateLimiter.usernameKey(username), this.rules.username],
    ];
    const result = await this.store.take(buckets, this.now());
    if (!result.allowed) return { allowed: false, retryAfter: Math.max(1, Math.ceil(result.retryAfterMs / 1000)) };
    let settled = false;
    return {
      allowed: true,
      ticket: {
        succeeded: async () => {
          if (settled) return;
          settled = true;
          await this.store.refund(
            buckets.map(([bucket]) => bucket),
            result.windowStarts,
          );
        },
      },
    };
  }

  /**
   * Forgets every count (tests, or an operator after an incident).
   *
   * @example
   * ```ts
   * await limiter.clear();
   * ```
   */
  clear(): Promise<void> {
    return this.store.clear();
  }

}
