// A new database with the apps a test needs already migrated (the user app, then the others in order).
import { migrateForwards, type MigrationApp } from "piccolo-ts";
import { freshDatabaseUrl, type EngineName } from "./engines.js";

export async function migratedDatabaseUrl(engine: EngineName, ...apps: (string | MigrationApp)[]): Promise<string> {
  const url = await freshDatabaseUrl(engine);
  await migrateForwards("user", { database: url });
  for (const app of apps) await migrateForwards(app, { database: url });
  return url;
}
