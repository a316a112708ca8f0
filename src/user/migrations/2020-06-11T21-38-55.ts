import { addColumns, dropColumns } from "../../migrations/schema.js";
import type { Migration } from "../../migrations/types.js";

/** Piccolo's second `user` migration: optional names, defaulting to '' (NULL still allowed). */
export function addUserNames(table: string): Migration {
  return {
    id: "2020-06-11T21:38:55",
    description: `Add first_name and last_name to ${table}.`,

    async forwards(context) {
      await addColumns(context, table, [
        { name: "first_name", type: context.dialect.varcharType(255), build: (c) => c.defaultTo("") },
        { name: "last_name", type: context.dialect.varcharType(255), build: (c) => c.defaultTo("") },
      ]);
    },

    async backwards(context) {
      await dropColumns(context, table, ["last_name", "first_name"]);
    },
  };
}
