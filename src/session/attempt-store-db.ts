import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { useDatabase, type Database } from "../engine/connect.js";
import { isRetryableConflict, runTranslated } from "../engine/database-errors.js";
import { sql } from "kysely";
import { withWriteTransaction } from "../engine/transaction.js";
import { fullRule, nextAllowedOffset, type AttemptRule, type AttemptStore, type LimitedBucket, type TakeResult } from "./attempt-store.js";
import { LOGIN_ATTEMPTS_TABLE } from "./migrations/index.js";

const TABLE = LOGIN_ATTEMPTS_TABLE;
const column = (name: string) => sql.ref(`${TABLE}.${name}`);
/** Expired rows are deleted at most this often per store (one indexed DELETE). */
const PRUNE_EVERY = 60_000;
const CONFLICT_RETRIES = 5;

interface CounterRow {
  attempts: unknown;
  window_start: unknown;
  expires_at: unknown;
  holder: unknown;
}

/**
 * Counts in the `login_attempts` table (the `session_auth` migration), so every process and machine on
 * the database shares one count, and a restart keeps it. Each bucket is counted by one atomic statement:
 * an upsert that opens, counts or refuses in the row itself and tells the caller which (PostgreSQL and
 * SQLite: INSERT … ON CONFLICT DO UPDATE … RETURNING; MySQL: INSERT … ON DUPLICATE KEY UPDATE, then a
 * read of the row it still holds locked). One attempt's buckets share one transaction (one commit).
 * What `LoginRateLimiter` uses by default when it knows the database.
 *
 * @example
 * ```ts
 * const limiter = new LoginRateLimiter({ store: new DatabaseAttemptStore(process.env.DATABASE_URL) }); // or { store: "database", database }
 * ```
 */
export class DatabaseAttemptStore implements AttemptStore {
  private lastPrune = 0;

  constructor(private readonly database?: string | Database) {}

  /**
   * Counts one attempt in each bucket at time `now` (ms), or refuses with the wait and counts none.
   *
   * @example
   * ```ts
   * const result = await store.take([[LoginRateLimiter.usernameKey("bob"), { max: 5, window: 60_000 }]], Date.now());
   * ```
   */
  async take(buckets: readonly LimitedBucket[], now: number): Promise<TakeResult> {
    const holder = randomBytes(12).toString("base64url");
    const db = await useDatabase(this.database);
    this.pruneNowAndThen(db, now);
    return this.inTransaction(db, async (trx) => {
      const windowStarts: number[] = [];
      for (const [index, [bucket, rule]] of buckets.entries()) {
        const full = fullRule(rule);
        const row = await this.upsert(db, trx, bucket, full, now, holder);
        const windowStart = Number(row.window_start);
        if (row.holder !== holder) {
          // Refused: the row is unchanged, so its count says when the next attempt may go through.
          await this.giveBack(trx, buckets.slice(0, index).map(([earlier]) => earlier), windowStarts);
          const allowedAt = windowStart + nextAllowedOffset(Number(row.attempts), full);
          return { allowed: false, retryAfterMs: Math.max(1, Math.min(allowedAt, Number(row.expires_at)) - now) };
        }
        windowStarts.push(windowStart);
      }
      return { allowed: true, windowStarts };
    });
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
    const db = await useDatabase(this.database);
    await this.inTransaction(db, (trx) => this.giveBack(trx, buckets, windowStarts));
  }

  /**
   * Forgets every count (deletes every row of `login_attempts`).
   *
   * @example
   * ```ts
   * await store.clear();
   * ```
   */
  async clear(): Promise<void> {
    const db = await useDatabase(this.database);
    await this.run(db, () => db.kysely.deleteFrom(TABLE).execute());
  }

  /**
   * Deletes expired counters; returns how many. `take` already does this at most once a minute per
   * process; call it yourself from a maintenance job if logins are rare.
   *
   * @example
   * ```ts
   * const deleted = await new DatabaseAttemptStore(process.env.DATABASE_URL).prune();
   * ```
   */
  async prune(now = Date.now()): Promise<number> {
    const db = await useDatabase(this.database);
    const result = await this.run(db, () => db.kysely.deleteFrom(TABLE).where("expires_at", "<=", now).executeTakeFirst());
    return Number(result.numDeletedRows);
  }

  private pruneNowAndThen(db: Database, now: number): void {
    if (now - this.lastPrune < PRUNE_EVERY) return;
    this.lastPrune = now;
    // Housekeeping only: a failed sweep is retried by a later attempt.
    void this.run(db, () => db.kysely.deleteFrom(TABLE).where("expires_at", "<=", now).execute()).catch(() => {});
  }

  private async giveBack(trx: Kysely<any>, buckets: readonly string[], windowStarts: readonly number[]): Promise<void> {
    for (const [index, bucket] of buckets.entries()) {
      await trx
        .updateTable(TABLE)
        .set({ attempts: sql`${column("attempts")} - 1` })
        .where("bucket", "=", bucket)
        .where("window_start", "=", windowStarts[index]!)
        .where("attempts", ">", 0)
        .execute();
    }
  }

  private async upsert(
    db: Database,
    trx: Kysely<any>,
    bucket: string,
    rule: Required<AttemptRule>,
    now: number,
    holder: string,
  ): Promise<CounterRow> {
    // Every right-hand side reads only columns assigned after it (MySQL assigns left to right and lets
    // later expressions see earlier assignments; PostgreSQL and SQLite read the old row throughout).
    const expired = sql`${column("expires_at")} <= ${now}`;
    const attempts = column("attempts");
    const k = (offset: number) => sql`(${attempts} + ${offset - rule.free})`;
    // The next attempt is the (attempts+1)-th: under the hard limit, and free or past its growing delay.
    const allowed = sql`(${attempts} < ${rule.max} AND (${attempts} < ${rule.free} OR 2 * (${now} - ${column("window_start")}) >= ${rule.step} * ${k(1)} * ${k(2)}))`;
    const changes = {
      holder: sql`CASE WHEN ${expired} OR ${allowed} THEN ${holder} ELSE ${column("holder")} END`,
      attempts: sql`CASE WHEN ${expired} THEN 1 WHEN ${allowed} THEN ${attempts} + 1 ELSE ${attempts} END`,
      window_start: sql`CASE WHEN ${expired} THEN ${now} ELSE ${column("window_start")} END`,
      expires_at: sql`CASE WHEN ${expired} THEN ${now + rule.window} ELSE ${column("expires_at")} END`,
    };
    const fresh = { bucket, attempts: 1, window_start: now, expires_at: now + rule.window, holder };
    const returned = ["attempts", "window_start", "expires_at", "holder"] as const;
    if (db.dialect.upsertReturning) {
      return trx
        .insertInto(TABLE)
        .values(fresh)
        .onConflict((conflict) => conflict.column("bucket").doUpdateSet(changes))
        .returning(returned)
        .executeTakeFirstOrThrow();
    }
    await trx.insertInto(TABLE).values(fresh).onDuplicateKeyUpdate(changes).execute();
    // The upsert's row lock is held until commit: this reads our own write, not a later one.
    return trx.selectFrom(TABLE).select(returned).where("bucket", "=", bucket).executeTakeFirstOrThrow();
  }

  /** One write transaction, tried again when it lost to a concurrent one (InnoDB deadlock victim). */
  private async inTransaction<T>(db: Database, work: (trx: Kysely<any>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.run(db, () => withWriteTransaction(db, work));
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause ?? error;
        if (!isRetryableConflict(cause) || attempt >= CONFLICT_RETRIES) throw error;
      }
    }
  }

  private run<T>(db: Database, work: () => Promise<T>): Promise<T> {
    return runTranslated(db, work, { app: "session_auth" });
  }
}
