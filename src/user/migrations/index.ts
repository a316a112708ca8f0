import type { MigrationApp } from "../../migrations/types.js";
import { createUserTable } from "./2019-11-14T21-52-21.js";
import { addUserNames } from "./2020-06-11T21-38-55.js";
import { addSuperuserAndLastLogin } from "./2021-04-30T16-14-15.js";

/**
 * Piccolo's migration app `user` for a user table of the given name (a `BaseUser` subclass's
 * `tableName`): the same IDs, so either tool sees the other's `migration` rows.
 *
 * @example
 * ```ts
 * class Member extends BaseUser { static override tableName = "member"; }
 * await migrateForwards(createUserApp(Member.tableName));
 * ```
 */
export function createUserApp(table = "piccolo_user"): MigrationApp {
  return {
    name: "user",
    migrations: [createUserTable(table), addUserNames(table), addSuperuserAndLastLogin(table)],
  };
}

/**
 * The `user` app for Piccolo's own table, `piccolo_user` (what `migrateForwards("user")` runs).
 *
 * @example
 * ```ts
 * await migrateForwards(userApp); // the same as migrateForwards("user")
 * ```
 */
export const userApp: MigrationApp = createUserApp();
