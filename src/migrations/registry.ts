import { MigrationError } from "../errors.js";
import type { MigrationApp } from "./types.js";

// The runner knows apps only through this list; the layers that define apps (user, session, admin)
// sit above it, and src/apps.ts registers them in the order `forwards all` runs them.
const registered: MigrationApp[] = [];

/** Adds apps to those `forwards all` runs (in order) and that can be named; a name registered again replaces it. */
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
