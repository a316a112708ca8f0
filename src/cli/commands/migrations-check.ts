// `piccolo migrations check [app]` (alias `status`): every migration, per app, and whether it ran.
import { formatTable, formatTimestamp, print, printJson } from "../output.js";
import { existingOrEmptyDatabase } from "../database-check.js";
import type { CommandInput } from "../types.js";

export async function run(input: CommandInput): Promise<void> {
  const database = await existingOrEmptyDatabase(input.db);
  const runner: typeof import("../../migrations/runner.js") = await import("../../migrations/runner.js");
  const rows = await runner.migrationStatus({ app: input.args[0] ?? "all", database });
  if (input.json) {
    printJson(rows);
    return;
  }
  print(
    formatTable(
      ["app", "migration_id", "ran", "ran_on", "description"],
      rows.map((row) => [row.app, row.id, String(row.ran), formatTimestamp(row.ranOn), row.description]),
    ),
  );
  const pending = rows.filter((row) => !row.ran);
  const apps = [...new Set(pending.map((row) => row.app))];
  print(
    pending.length === 0
      ? "Every migration has run."
      : `${pending.length} not yet run: run ${apps.map((app) => `"piccolo migrations forwards ${app}"`).join(", ")}.`,
  );
}
