import { sql } from "../../engine/kysely.js";
import { MigrationError } from "../../errors.js";
import { addIdColumn, mysqlColumns, timestampType, varchar, withTableOptions } from "../../migrations/schema.js";
import type { Migration, MigrationApp } from "../../migrations/types.js";
import { addLoginAttemptsAndTokenIndex } from "./2026-12-01T14-40-00.js";

export { LOGIN_ATTEMPTS_TABLE } from "./2026-12-01T14-40-00.js";

/** piccolo_api's session table. */
export const SESSIONS_TABLE = "sessions";
const COLUMNS = ["id", "token", "user_id", "expiry_date", "max_expiry_date"];

/**
 * piccolo_api's `session_auth` migration: the `sessions` table with Piccolo's columns, types, nullability
 * and column defaults (`''` and `0`; the timestamp defaults of piccolo_api are computed in Python, and
 * piccolo-ts always writes both dates). The index on `token` comes with piccolo-ts's own later migration.
 */
const createSessions: Migration = {
  id: "2019-11-12T20:47:17",
  description: "Create the sessions table (piccolo_api's session_auth).",

  async forwards({ db, engine }) {
    if (engine === "mysql") {
      // DDL is not transactional on MySQL: accept our own table left by an interrupted run.
      const existing = await mysqlColumns(db, SESSIONS_TABLE);
      if (existing) {
        const missing = COLUMNS.filter((column) => !existing.has(column));
        if (missing.length === 0) return;
        throw new MigrationError(`The table ${SESSIONS_TABLE} already exists without the column(s) ${missing.join(", ")}.`);
      }
    }
    const table = addIdColumn(db.schema.createTable(SESSIONS_TABLE), engine)
      .addColumn("token", varchar(engine, 100), (c) => c.notNull().defaultTo(""))
      .addColumn("user_id", sql.raw("INTEGER"), (c) => c.notNull().defaultTo(0))
      .addColumn("expiry_date", timestampType(engine), (c) => c.notNull())
      .addColumn("max_expiry_date", timestampType(engine), (c) => c.notNull());
    await withTableOptions(table, engine).execute();
  },

  async backwards({ db, engine }) {
    let drop = db.schema.dropTable(SESSIONS_TABLE);
    if (engine === "mysql") drop = drop.ifExists(); // re-runnable after an interrupted run
    await drop.execute();
  },
};

/** The `session_auth` migration app: `piccolo migrations forwards session_auth`. */
export const sessionAuthApp: MigrationApp = {
  name: "session_auth",
  migrations: [createSessions, addLoginAttemptsAndTokenIndex],
};
