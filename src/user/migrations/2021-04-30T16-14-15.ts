import { addColumns, booleanType, dropColumns, timestampType } from "../../migrations/schema.js";
import type { Migration } from "../../migrations/types.js";

const TABLE = "piccolo_user";

/** Piccolo's third `user` migration: the superuser flag and the time of the last login. */
export const addSuperuserAndLastLogin: Migration = {
  id: "2021-04-30T16:14:15",
  description: "Add superuser and last_login to piccolo_user.",

  async forwards(context) {
    await addColumns(context, TABLE, [
      { name: "superuser", type: booleanType(), build: (c) => c.notNull().defaultTo(false) },
      // `DEFAULT null` spelled out as Piccolo does, so SQLite reports the same column default.
      { name: "last_login", type: timestampType(context.engine), build: (c) => c.defaultTo(null) },
    ]);
  },

  async backwards(context) {
    await dropColumns(context, TABLE, ["last_login", "superuser"]);
  },
};
