import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { useDatabase, type Database } from "../engine/connect.js";
import { isRetryableConflict, runTranslated } from "../engine/database-errors.js";
import { sql } from "../engine/kysely.js";
import { fullRule, nextAllowedOffset, type AttemptRule, type AttemptStore, type TakeResult } from "./attempt-store.js";
import { LOGIN_ATTEMPTS_TABLE } from "./migrations/index.js";

const TABLE = LOGIN_ATTEMPTS_TABLE;
const column = (name: string) => sql.ref(`${TABLE}.${name}`);
/** Expired rows are deleted at most this often per store (a sweep costs one indexed DELETE). */
const PRUNE_EVERY = 60_000;
const DEADLOCK_RETRIES = 5;

/**
 * Counts in the `login_attempts` table (the `session_auth` migration), so every process and machine on
 * the database shares one count, and a restart keeps it. Each attempt is one atomic statement: an upsert
 * that opens, counts or refuses in the row itself and tells the caller which (PostgreSQL and SQLite:
 * INSERT … ON CONFLICT DO UPDATE … RETURNING; MySQL: INSERT … ON DUPLICATE KEY UPDATE and a read of the
 * row it still holds locked, in one transaction).
 */
export class DatabaseAttemptStore implements AttemptStore {
  private lastPrune = 0;

  constructor(private readonly database?: string | Database) {}

  async take(bucket: string, rule: AttemptRule, now: number): Promise<TakeResult> {
    const full = fullRule(rule);
    const holder = randomBytes(12).toString("base64url");
    const db = await useDatabase(this.database);
    this.pruneNowAndThen(db, now);
    const row = await this.run(db, () => this.upsert(db, bucket, full, now, holder));
    const attempts = Number(row.attempts);
    const windowStart = Number(row.window_start);
    if (row.holder === holder) return { allowed: true, windowStart };
    // Refused: the row is unchanged, so its count says when the next attempt may go through.
    const allowedAt = windowStart + nextAllowedOffset(attempts, full);
    return { allowed: false, retryAfterMs: Math.max(1, Math.min(allowedAt, Number(row.expires_at)) - now) };
  }

  async refund(bucket: string, windowStart: number): Promise<void> {
    const db = await useDatabase(this.database);
    await this.run(db, () =>
      db.kysely
        .updateTable(TABLE)
        .set({ attempts: sql`${column("attempts")} - 1` })
        .where("bucket", "=", bucket)
        .where("window_start", "=", windowStart)
        .where("attempts", ">", 0)
        .execute(),
    );
  }

  async clear(): Promise<void> {
    const db = await useDatabase(this.database);
    await this.run(db, () => db.kysely.deleteFrom(TABLE).execute());
  }

  /** Deletes expired counters; returns how many. */
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

  private async upsert(db: Database, bucket: string, rule: Required<AttemptRule>, now: number, holder: string) {
    // Every right-hand side reads only columns assigned after it (MySQL assigns left to right and lets
    // later expressions see earlier assignments; PostgreSQL and SQLite read the old row throughout).
    const expired = sql`${column("expires_at")} <= ${now}`;
    const attempts = column("attempts");
    const k = (offset: number) => sql`(${attempts} + ${offset - rule.free})`;
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
      return db.kysely
        .insertInto(TABLE)
        .values(fresh)
        .onConflict((conflict) => conflict.column("bucket").doUpdateSet(changes))
        .returning(returned)
        .executeTakeFirstOrThrow();
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.kysely.transaction().execute(async (trx: Kysely<any>) => {
          await trx.insertInto(TABLE).values(fresh).onDuplicateKeyUpdate(changes).execute();
          // The upsert's row lock is held until commit: this reads our own write, not a later one.
          return trx.selectFrom(TABLE).select(returned).where("bucket", "=", bucket).executeTakeFirstOrThrow();
        });
      } catch (error) {
        // InnoDB may pick a racing upsert of a new key as a deadlock victim: nothing was counted, try again.
        if (!isRetryableConflict(error) || attempt >= DEADLOCK_RETRIES) throw error;
      }
    }
  }

  private run<T>(db: Database, work: () => Promise<T>): Promise<T> {
    return runTranslated(db, work, { app: "session_auth" });
  }
}
