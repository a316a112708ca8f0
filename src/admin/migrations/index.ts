import { sql } from "../../engine/kysely.js";
import { addIdColumn, timestampType, varchar, withTableOptions } from "../../migrations/schema.js";
import type { Migration, MigrationApp } from "../../migrations/types.js";

/** The admin's own record of who changed which user; not a Piccolo table, so Python Piccolo never sees it. */
export const ADMIN_HISTORY_TABLE = "admin_history";

const createHistory: Migration = {
  id: "2026-12-01T14:30:00",
  description: "Create the admin_history table (changes made in piccolo-ts's admin).",

  async forwards({ db, engine }) {
    // IF NOT EXISTS: MySQL commits DDL statement by statement, so an interrupted run can be run again.
    const table = addIdColumn(db.schema.createTable(ADMIN_HISTORY_TABLE).ifNotExists(), engine)
      .addColumn("created_at", timestampType(engine), (c) => c.notNull())
      .addColumn("actor_id", sql.raw("INTEGER"), (c) => c.notNull())
      .addColumn("actor_username", varchar(engine, 100), (c) => c.notNull())
      .addColumn("user_id", sql.raw("INTEGER"), (c) => c.notNull())
      .addColumn("username", varchar(engine, 100), (c) => c.notNull())
      .addColumn("action", varchar(engine, 20), (c) => c.notNull())
      .addColumn("changes", sql.raw("TEXT"), (c) => c.notNull());
    await withTableOptions(table, engine).execute();
    await db.schema.createIndex("admin_history_user_id").on(ADMIN_HISTORY_TABLE).columns(["user_id", "id"]).execute();
  },

  async backwards({ db }) {
    await db.schema.dropTable(ADMIN_HISTORY_TABLE).ifExists().execute();
  },
};

/** `piccolo migrations forwards admin_history`: the table the admin's history page reads. */
export const adminHistoryApp: MigrationApp = {
  name: "admin_history",
  migrations: [createHistory],
};
