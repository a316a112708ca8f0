// Which migrations of some apps have not run, for the warning every `user …` command prints (and the
// case-insensitive username mode it sets): one SELECT of the apps' known IDs, without the runner (its locking, preview and app registry are for the
// migration commands).
import type { Database } from "../engine/connect.js";
import { missingTableName, runTranslated } from "../engine/database-errors.js";
import { MIGRATION_TABLE } from "./migration-table.js";
import type { MigrationApp } from "./types.js";

/**
 * The IDs of each app that have not run, in the app's order, keyed by app name (all of them when the
 * `migration` table does not exist). One SELECT for every app asked about.
 */
export async function pendingMigrationIds(database: Database, apps: readonly MigrationApp[]): Promise<Map<string, string[]>> {
  const known = (app: MigrationApp) => app.migrations.map((migration) => migration.id);
  const pendingOf = (ran: (app: string, id: string) => boolean) =>
    new Map(apps.map((app) => [app.name, known(app).filter((id) => !ran(app.name, id))]));
  return runTranslated(
    database,
    async () => {
      let rows: { app_name: unknown; name: unknown }[];
      try {
        rows = await database.kysely
          .selectFrom(MIGRATION_TABLE)
          .select(["app_name", "name"])
          .where("app_name", "in", apps.map((app) => app.name))
          .where("name", "in", apps.flatMap(known))
          .execute();
      } catch (error) {
        // Reading must not create the table: a database nobody migrated has every migration pending.
        if (missingTableName(error) === MIGRATION_TABLE) return pendingOf(() => false);
        throw error;
      }
      const ran = new Set(rows.map((row) => `${String(row.app_name)}\n${String(row.name)}`));
      return pendingOf((app, id) => ran.has(`${app}\n${id}`));
    },
    { app: apps[0]?.name },
  );
}
