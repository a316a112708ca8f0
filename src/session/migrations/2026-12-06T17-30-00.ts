import { addColumns, dropColumns } from "../../migrations/schema.js";
import type { Migration } from "../../migrations/types.js";
import { SESSIONS_TABLE } from "../../user/sessions-table.js";

/** The column binding a session row to the user row it was made for (see session/user-binding.ts). */
export const USER_BINDING_COLUMN = "user_binding";

/**
 * piccolo-ts's own `session_auth` migration: a nullable `sessions.user_binding`. Python's piccolo_api
 * names its four columns in every INSERT and never reads this one, so its rows get NULL (which piccolo-ts
 * refuses) and its own reads are unchanged. A column rather than a trigger or a foreign key on
 * `piccolo_user`: Python's `migrations backwards session_auth` drops `sessions`, and a trigger left
 * pointing at it would make every later user delete fail.
 */
export const addSessionUserBinding: Migration = {
  id: "2026-12-06T17:30:00",
  description: "Add sessions.user_binding: a session is valid only for the user row it was made for.",

  async forwards(context) {
    await addColumns(context, SESSIONS_TABLE, [{ name: USER_BINDING_COLUMN, type: context.dialect.varcharType(64, { exact: true }) }]);
  },

  async backwards(context) {
    await dropColumns(context, SESSIONS_TABLE, [USER_BINDING_COLUMN]);
  },
};
