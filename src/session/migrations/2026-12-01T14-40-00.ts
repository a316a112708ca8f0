import { sql } from "../../engine/kysely.js";
import { createdByEarlierRun, dropTable } from "../../migrations/schema.js";
import type { Migration, MigrationContext } from "../../migrations/types.js";
import { SESSIONS_TABLE } from "../../user/sessions-table.js";

/** Login attempt counters shared by every process on the database (see session/attempt-store-db.ts). */
export const LOGIN_ATTEMPTS_TABLE = "login_attempts";
const COLUMNS = ["bucket", "attempts", "window_start", "expires_at", "holder"];
const TOKEN_INDEX = "sessions_token_idx";
const EXPIRES_INDEX = "login_attempts_expires_idx";
const ER_DUP_KEYNAME = 1061;
const ER_CANT_DROP_FIELD_OR_KEY = 1091;

/**
 * piccolo-ts's own `session_auth` migration (piccolo_api has no such one): an index on `sessions.token`,
 * which every authenticated request looks up, and the `login_attempts` table. Python's piccolo_api reads
 * and writes `sessions` as before (an index changes no column), and ignores the new table.
 */
export const addLoginAttemptsAndTokenIndex: Migration = {
  id: "2026-12-01T14:40:00",
  description: "Index sessions.token; create login_attempts (the shared login rate limit).",

  async forwards(context) {
    const { db, dialect } = context;
    if (!(await createdByEarlierRun(context, LOGIN_ATTEMPTS_TABLE, COLUMNS))) {
      const table = db.schema
        .createTable(LOGIN_ATTEMPTS_TABLE)
        // A digest of the limited key (never a username or address in clear), see session/rate-limit.ts.
        .addColumn("bucket", dialect.varcharType(64, { exact: true }), (c) => c.primaryKey().notNull())
        .addColumn("attempts", sql.raw("BIGINT"), (c) => c.notNull())
        // Milliseconds since 1970: compared and added in SQL the same way on every engine.
        .addColumn("window_start", sql.raw("BIGINT"), (c) => c.notNull())
        .addColumn("expires_at", sql.raw("BIGINT"), (c) => c.notNull())
        // The random id of the last attempt let through, so a caller tells its own increment from another's.
        .addColumn("holder", dialect.varcharType(32, { exact: true }), (c) => c.notNull());
      await dialect.withTableOptions(table).execute();
    }
    await createIndex(context, EXPIRES_INDEX, LOGIN_ATTEMPTS_TABLE, "expires_at");
    await createIndex(context, TOKEN_INDEX, SESSIONS_TABLE, "token");
  },

  async backwards(context) {
    let drop = context.db.schema.dropIndex(TOKEN_INDEX);
    drop = context.dialect.indexNamesPerTable ? drop.on(SESSIONS_TABLE) : drop.ifExists();
    await drop.execute().catch((error: { errno?: number }) => {
      // Dropped by an earlier, interrupted run (MySQL commits DDL statement by statement).
      if (error.errno !== ER_CANT_DROP_FIELD_OR_KEY) throw error;
    });
    await dropTable(context, LOGIN_ATTEMPTS_TABLE);
  },
};

async function createIndex(context: MigrationContext, name: string, table: string, column: string): Promise<void> {
  const index = context.db.schema.createIndex(name).on(table).column(column);
  if (!context.dialect.indexNamesPerTable) {
    await index.ifNotExists().execute();
    return;
  }
  await index.execute().catch((error: { errno?: number }) => {
    // Made by an earlier, interrupted run (MySQL has no CREATE INDEX IF NOT EXISTS).
    if (error.errno !== ER_DUP_KEYNAME) throw error;
  });
}
