import { addColumns, dropColumns, varchar } from "../../migrations/schema.js";
import type { Migration } from "../../migrations/types.js";

const TABLE = "piccolo_user";

/** Piccolo's second `user` migration: optional names, defaulting to '' (NULL still allowed). */
export const addUserNames: Migration = {
  id: "2020-06-11T21:38:55",
  description: "Add first_name and last_name to piccolo_user.",

  async forwards(context) {
    await addColumns(context, TABLE, [
      { name: "first_name", type: varchar(context.engine, 255), build: (c) => c.defaultTo("") },
      { name: "last_name", type: varchar(context.engine, 255), build: (c) => c.defaultTo("") },
    ]);
  },

  async backwards(context) {
    await dropColumns(context, TABLE, ["last_name", "first_name"]);
  },
};
