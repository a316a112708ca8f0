import { MigrationError } from "../errors.js";
import type { MigrationApp } from "./types.js";

// The runner knows apps only through this list; the layers that define apps (user, session, admin)
// sit above it, and src/apps.ts registers them in the order `forwards all` runs them.
const registered: MigrationApp[] = [];

/**
 * Adds apps to those `forwards all` runs (in order) and that can be named (by the API and the `piccolo`
 * command); a name registered again replaces it. Register your own app to migrate your tables with the
 * same runner, lock and `migration` table as piccolo-ts's.
 *
 * @example
 * ```ts
 * const blogApp: MigrationApp = {
 *   name: "blog",
 *   migrations: [{
 *     id: "2025-01-01T00:00:00",
 *     description: "Create post.",
 *     forwards: ({ db }) => db.schema.createTable("post").addColumn("id", "integer", (c) => c.primaryKey()).execute(),
 *     backwards: ({ db }) => db.schema.dropTable("post").execute(),
 *   }],
 * };
 * registerMigrationApps(blogApp);
 * await migrateForwards("blog");
 * ```
 */
export function registerMigrationApps(...apps: MigrationApp[]): void {
  for (const app of apps) {
    const index = registered.findIndex((candidate) => candidate.name === app.name);
    if (index >= 0) registered[index] = app;
    else registered.push(app);
  }
}

/** Every registered app, in the order `forwards all` runs them (`backwards all` runs them in reverse). */
export function registeredMigrationApps(): readonly MigrationApp[] {
  return registered;
}

export function findApp(name: string): MigrationApp {
  const app = registered.find((candidate) => candidate.name === name);
  if (app) return app;
  const known = registered.map((candidate) => candidate.name).join(", ");
  throw new MigrationError(`Unknown app ${JSON.stringify(name)}: the apps are ${known} (or all).`);
}
