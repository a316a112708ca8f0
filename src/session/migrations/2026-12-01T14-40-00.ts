import { sql } from "kysely";
import { createdByEarlierRun, dropTable } from "../../migrations/schema.js";
import { createIndexOnce, dropIndexOnce } from "../../migrations/indexes.js";
import type { Migration } from "../../migrations/types.js";
import { SESSIONS_TABLE } from "../../user/sessions-table.js";

/** Login attempt counters shared by every process on the database (see session/attempt-store-db.ts). */
export const LOGIN_ATTEMPTS_TABLE = "login_attempts";
const COLUMNS = ["bucket", "attempts", "window_start", "expires_at", "holder"];
const TOKEN_INDEX = "sessions_token_idx";
const EXPIRES_INDEX = "login_attempts_expires_idx";

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
    await createIndexOnce(context, EXPIRES_INDEX, LOGIN_ATTEMPTS_TABLE, "expires_at");
    await createIndexOnce(context, TOKEN_INDEX, SESSIONS_TABLE, "token");
  },

  async backwards(context) {
    await dropIndexOnce(context, TOKEN_INDEX, SESSIONS_TABLE);
    await dropTable(context, LOGIN_ATTEMPTS_TABLE);
  },
};
