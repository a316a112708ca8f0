import { MigrationError } from "../errors.js";
import { sessionAuthApp } from "../session/migrations/index.js";
import { userApp } from "../user/migrations/index.js";
import { userCaseInsensitiveApp } from "../user/migrations/case-insensitive/index.js";
import type { MigrationApp } from "./types.js";

/** Every migration app, in the order `forwards all` runs them (`backwards all` runs them in reverse). */
export const migrationApps: readonly MigrationApp[] = [
  userApp,
  sessionAuthApp,
  userCaseInsensitiveApp,
];

export function findApp(name: string): MigrationApp {
  const app = migrationApps.find((candidate) => candidate.name === name);
  if (app) return app;
  const known = migrationApps.map((candidate) => candidate.name).join(", ");
  throw new MigrationError(`Unknown app ${JSON.stringify(name)}: the apps are ${known} (or all).`);
}
