import { sql } from "../../engine/kysely.js";
import { varchar, withTableOptions } from "../../migrations/schema.js";
import type { Migration } from "../../migrations/types.js";

/** Login attempt counters shared by every process on the database (see session/attempt-store-db.ts). */
export const LOGIN_ATTEMPTS_TABLE = "login_attempts";
const TOKEN_INDEX = "sessions_token_idx";

/**
 * piccolo-ts's own `session_auth` migration (piccolo_api has no such one): an index on `sessions.token`,
 * which every authenticated request looks up, and the `login_attempts` table. Python's piccolo_api reads
 * and writes `sessions` as before (an index changes no column), and ignores the new table.
 */
export const addLoginAttemptsAndTokenIndex: Migration = {
  id: "2026-12-01T14:40:00",
  description: "Index sessions.token; create login_attempts (shared login rate limit).",

  async forwards({ db, engine }) {
    // MySQL commits DDL statement by statement: IF NOT EXISTS makes an interrupted run re-runnable.
    const table = db.schema
      .createTable(LOGIN_ATTEMPTS_TABLE)
      .ifNotExists()
      // A digest of the limited key (never a username or address in clear), see rate-limit.ts.
      .addColumn("bucket", varchar(engine, 64, { exact: true }), (c) => c.primaryKey().notNull())
      .addColumn("attempts", sql.raw("BIGINT"), (c) => c.notNull())
      // Milliseconds since 1970: compared and added in SQL the same way on every engine.
      .addColumn("window_start", sql.raw("BIGINT"), (c) => c.notNull())
      .addColumn("expires_at", sql.raw("BIGINT"), (c) => c.notNull())
      // The random id of the last attempt let through, so a caller can tell its own increment from another's.
      .addColumn("holder", varchar(engine, 32), (c) => c.notNull());
    await withTableOptions(table, engine).execute();
    for (const [name, on, column] of [
      [`${LOGIN_ATTEMPTS_TABLE}_expires_idx`, LOGIN_ATTEMPTS_TABLE, "expires_at"],
      [TOKEN_INDEX, "sessions", "token"],
    ] as const) {
      let index = db.schema.createIndex(name).on(on).column(column);
      if (engine !== "mysql") index = index.ifNotExists();
      await index.execute().catch(ignoreExistingOnMysql(engine));
    }
  },

  async backwards({ db, engine }) {
    let dropIndex = db.schema.dropIndex(TOKEN_INDEX);
    if (engine === "mysql") dropIndex = dropIndex.on("sessions");
    else dropIndex = dropIndex.ifExists();
    await dropIndex.execute().catch(ignoreMissingOnMysql(engine));
    await db.schema.dropTable(LOGIN_ATTEMPTS_TABLE).ifExists().execute();
  },
};

// MySQL has no CREATE INDEX IF NOT EXISTS (MariaDB has): accept an index left by an interrupted run.
function ignoreExistingOnMysql(engine: string) {
  return (error: { code?: string; errno?: number }) => {
    if (engine === "mysql" && (error.code === "ER_DUP_KEYNAME" || error.errno === 1061)) return;
    throw error;
  };
}
function ignoreMissingOnMysql(engine: string) {
  return (error: { code?: string; errno?: number }) => {
    if (engine === "mysql" && (error.code === "ER_CANT_DROP_FIELD_OR_KEY" || error.errno === 1091)) return;
    throw error;
  };
}
