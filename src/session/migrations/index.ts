import { sql } from "kysely";
import { createdByEarlierRun, dropTable } from "../../migrations/schema.js";
import type { Migration, MigrationApp } from "../../migrations/types.js";
import { SESSIONS_TABLE } from "../../user/sessions-table.js";
import { markSessionTokenSecret } from "./2026-05-27T16-15-06-677127.js";
import { addLoginAttemptsAndTokenIndex } from "./2026-12-01T14-40-00.js";
import { addSessionUserBinding } from "./2026-12-06T17-30-00.js";

export { LOGIN_ATTEMPTS_TABLE } from "./2026-12-01T14-40-00.js";
export { USER_BINDING_COLUMN } from "./2026-12-06T17-30-00.js";

export { SESSIONS_TABLE };
const COLUMNS = ["id", "token", "user_id", "expiry_date", "max_expiry_date"];

/**
 * piccolo_api's `session_auth` migration: the `sessions` table with Piccolo's columns, types, nullability
 * and column defaults (`''` and `0`; the timestamp defaults of piccolo_api are computed in Python, and
 * piccolo-ts always writes both dates). The index on `token` comes with piccolo-ts's own later migration.
 */
const createSessions: Migration = {
  id: "2019-11-12T20:47:17",
  description: "Create the sessions table (piccolo_api's session_auth).",

  async forwards(context) {
    const { db, dialect } = context;
    if (await createdByEarlierRun(context, SESSIONS_TABLE, COLUMNS)) return;
    const table = dialect
      .addIdColumn(db.schema.createTable(SESSIONS_TABLE))
      .addColumn("token", dialect.varcharType(100), (c) => c.notNull().defaultTo(""))
      .addColumn("user_id", sql.raw("INTEGER"), (c) => c.notNull().defaultTo(0))
      .addColumn("expiry_date", dialect.timestampType(), (c) => c.notNull())
      .addColumn("max_expiry_date", dialect.timestampType(), (c) => c.notNull());
    await dialect.withTableOptions(table).execute();
  },

  backwards: (context) => dropTable(context, SESSIONS_TABLE),
};

/**
 * The `session_auth` migration app: `piccolo migrations forwards session_auth`. It creates piccolo_api's
 * `sessions` table and the `login_attempts` table the rate limit counts in; run it before using sessions.
 *
 * @example
 * ```ts
 * await migrateForwards("session_auth"); // or migrateForwards(sessionAuthApp); "all" runs user first
 * ```
 */
export const sessionAuthApp: MigrationApp = {
  name: "session_auth",
  migrations: [createSessions, markSessionTokenSecret, addLoginAttemptsAndTokenIndex, addSessionUserBinding],
};
