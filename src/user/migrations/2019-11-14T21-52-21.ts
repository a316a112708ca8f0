import { MigrationError } from "../../errors.js";
import { addIdColumn, booleanType, mysqlColumns, varchar, withTableOptions } from "../../migrations/schema.js";
import type { Migration } from "../../migrations/types.js";

const TABLE = "piccolo_user";
const COLUMNS = ["id", "username", "password", "email", "active", "admin"];

/** Piccolo's first `user` migration: the table with its original six columns. */
export const createUserTable: Migration = {
  id: "2019-11-14T21:52:21",
  description: "Create piccolo_user with id, username, password, email, active and admin.",

  async forwards({ db, engine }) {
    if (engine === "mysql") {
      // DDL is not transactional on MySQL: a run killed after CREATE TABLE but before its `migration`
      // row leaves the table behind. Accept it when it is ours; refuse a table that is something else.
      const existing = await mysqlColumns(db, TABLE);
      if (existing) {
        const missing = COLUMNS.filter((column) => !existing.has(column));
        if (missing.length === 0) return;
        throw new MigrationError(`The table ${TABLE} already exists without the column(s) ${missing.join(", ")}.`);
      }
    }
    let table = addIdColumn(db.schema.createTable(TABLE), engine)
      .addColumn("username", varchar(engine, 100, { exact: true }), (c) => c.notNull().defaultTo(""))
      .addColumn("password", varchar(engine, 255), (c) => c.notNull().defaultTo(""))
      .addColumn("email", varchar(engine, 255, { exact: true }), (c) => c.notNull().defaultTo(""))
      .addColumn("active", booleanType(), (c) => c.notNull().defaultTo(false))
      .addColumn("admin", booleanType(), (c) => c.notNull().defaultTo(false))
      // Named as PostgreSQL names Piccolo's inline UNIQUE, so every engine reports the same constraint.
      .addUniqueConstraint("piccolo_user_username_key", ["username"])
      .addUniqueConstraint("piccolo_user_email_key", ["email"]);
    table = withTableOptions(table, engine);
    await table.execute();
  },

  async backwards({ db, engine }) {
    let drop = db.schema.dropTable(TABLE);
    // CASCADE as Piccolo does on PostgreSQL (drops foreign keys pointing at the users); SQLite has no
    // such clause, which is why Piccolo cannot reverse this migration there.
    if (engine === "postgres") drop = drop.cascade();
    if (engine === "mysql") drop = drop.ifExists(); // re-runnable after an interrupted run
    await drop.execute();
  },
};
