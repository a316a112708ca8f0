import type { MigrationApp } from "../../migrations/types.js";
import { createUserTable } from "./2019-11-14T21-52-21.js";
import { addUserNames } from "./2020-06-11T21-38-55.js";
import { addSuperuserAndLastLogin } from "./2021-04-30T16-14-15.js";

/** Piccolo's migration app `user`: the same IDs, so either tool sees the other's `migration` rows. */
export const userApp: MigrationApp = {
  name: "user",
  migrations: [createUserTable, addUserNames, addSuperuserAndLastLogin],
};
