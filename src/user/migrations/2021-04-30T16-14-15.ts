import { addColumns, booleanType, dropColumns } from "../../migrations/schema.js";
import type { Migration } from "../../migrations/types.js";

/** Piccolo's third `user` migration: the superuser flag and the time of the last login. */
export function addSuperuserAndLastLogin(table: string): Migration {
  return {
    id: "2021-04-30T16:14:15",
    description: `Add superuser and last_login to ${table}.`,

    async forwards(context) {
      await addColumns(context, table, [
        { name: "superuser", type: booleanType(), build: (c) => c.notNull().defaultTo(false) },
        // `DEFAULT null` spelled out as Piccolo does, so SQLite reports the same column default.
        { name: "last_login", type: context.dialect.timestampType(), build: (c) => c.defaultTo(null) },
      ]);
    },

    async backwards(context) {
      await dropColumns(context, table, ["last_login", "superuser"]);
    },
  };
}
