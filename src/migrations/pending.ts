// Which migrations of an app have not run, for the warning every `user …` command prints: one SELECT
// of the app's known IDs, without the runner (its locking, preview and app registry are for the
// migration commands).
import type { Database } from "../engine/connect.js";
import { missingTableName, runTranslated } from "../engine/database-errors.js";
import { MIGRATION_TABLE } from "./migration-table.js";
import type { MigrationApp } from "./types.js";

/** The IDs of `app` that have not run, in the app's order; all of them when the `migration` table does not exist. */
export async function pendingMigrationIds(database: Database, app: MigrationApp): Promise<string[]> {
  const ids = app.migrations.map((migration) => migration.id);
  return runTranslated(
    database,
    async () => {
      let rows: { name: unknown }[];
      try {
        rows = await database.kysely
          .selectFrom(MIGRATION_TABLE)
          .select("name")
          .where("app_name", "=", app.name)
          .where("name", "in", ids)
          .execute();
      } catch (error) {
        // Reading must not create the table: a database nobody migrated has every migration pending.
        if (missingTableName(error) === MIGRATION_TABLE) return ids;
        throw error;
      }
      const ran = new Set(rows.map((row) => String(row.name)));
      return ids.filter((id) => !ran.has(id));
    },
    { app: app.name },
  );
}
