import { sql } from "kysely";
import { createdByEarlierRun, dropTable } from "../../migrations/schema.js";
import type { Migration, MigrationApp } from "../../migrations/types.js";

/** The admin's own record of who changed which user; not a Piccolo table, so Python Piccolo never sees it. */
export const ADMIN_HISTORY_TABLE = "admin_history";
const COLUMNS = ["id", "created_at", "actor_id", "actor_username", "user_id", "username", "action", "changes", "retired"];

const createHistory: Migration = {
  id: "2026-12-01T14:30:00",
  description: "Create the admin_history table (changes made in piccolo-ts's admin).",

  async forwards(context) {
    const { db, dialect } = context;
    if (await createdByEarlierRun(context, ADMIN_HISTORY_TABLE, COLUMNS)) return;
    const table = dialect
      .addIdColumn(db.schema.createTable(ADMIN_HISTORY_TABLE))
      .addColumn("created_at", dialect.timestampType(), (c) => c.notNull())
      .addColumn("actor_id", sql.raw("INTEGER"), (c) => c.notNull())
      .addColumn("actor_username", dialect.varcharType(100), (c) => c.notNull())
      .addColumn("user_id", sql.raw("INTEGER"), (c) => c.notNull())
      .addColumn("username", dialect.varcharType(100), (c) => c.notNull())
      .addColumn("action", dialect.varcharType(20), (c) => c.notNull())
      .addColumn("changes", sql.raw("TEXT"), (c) => c.notNull())
      // 1 once the user is deleted: SQLite may give a later user the same id, who must not inherit this history.
      .addColumn("retired", sql.raw("INTEGER"), (c) => c.notNull().defaultTo(0));
    await dialect.withTableOptions(table).execute();
    // The user page reads one user's entries, newest first.
    await db.schema.createIndex("admin_history_user_id").on(ADMIN_HISTORY_TABLE).columns(["user_id", "retired", "id"]).execute();
  },

  backwards: (context) => dropTable(context, ADMIN_HISTORY_TABLE),
};

/**
 * `piccolo migrations forwards admin_history`: the table the admin's history reads and writes (who
 * changed which user, when, and what). Run it before serving the admin.
 *
 * @example
 * ```ts
 * await migrateForwards("all"); // user, session_auth, then admin_history
 * await migrateForwards(adminHistoryApp); // this one alone
 * ```
 */
export const adminHistoryApp: MigrationApp = {
  name: "admin_history",
  migrations: [createHistory],
};
