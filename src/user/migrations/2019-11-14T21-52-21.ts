import { booleanType, createdByEarlierRun, dropTable } from "../../migrations/schema.js";
import type { Migration } from "../../migrations/types.js";

const COLUMNS = ["id", "username", "password", "email", "active", "admin"];

/** Piccolo's first `user` migration: the table with its original six columns. */
export function createUserTable(table: string): Migration {
  return {
    id: "2019-11-14T21:52:21",
    description: `Create ${table} with id, username, password, email, active and admin.`,

    async forwards(context) {
      const { db, dialect } = context;
      if (await createdByEarlierRun(context, table, COLUMNS)) return;
      const create = dialect
        .addIdColumn(db.schema.createTable(table))
        .addColumn("username", dialect.varcharType(100, { exact: true }), (c) => c.notNull().defaultTo(""))
        .addColumn("password", dialect.varcharType(255), (c) => c.notNull().defaultTo(""))
        .addColumn("email", dialect.varcharType(255, { exact: true }), (c) => c.notNull().defaultTo(""))
        .addColumn("active", booleanType(), (c) => c.notNull().defaultTo(false))
        .addColumn("admin", booleanType(), (c) => c.notNull().defaultTo(false))
        // Named as PostgreSQL names Piccolo's inline UNIQUE, so every engine reports the same constraint.
        .addUniqueConstraint(`${table}_username_key`, ["username"])
        .addUniqueConstraint(`${table}_email_key`, ["email"]);
      await dialect.withTableOptions(create).execute();
    },

    // CASCADE as Piccolo does on PostgreSQL (drops foreign keys pointing at the users).
    backwards: (context) => dropTable(context, table, { cascade: true }),
  };
}
