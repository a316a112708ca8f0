import type { Migration } from "../../migrations/types.js";

/**
 * piccolo_api's second `session_auth` migration: in Python it only marks `sessions.token` as a secret
 * column and emits no SQL. It is here so both tools record the same IDs: without it Python's
 * `migrations forwards session_auth` reports one migration to run on a database piccolo-ts migrated.
 */
export const markSessionTokenSecret: Migration = {
  id: "2026-05-27T16:15:06:677127",
  description: "Mark sessions.token as secret (piccolo_api's; no SQL).",
  forwards: async () => {},
  backwards: async () => {},
};
