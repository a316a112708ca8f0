// `piccolo migrations check [app]` (alias `status`): every migration, per app, and whether it ran.
// An opt-in app (user_case_insensitive) that nobody turned on is listed but not recommended: `forwards
// all` leaves it out on purpose, so after it the summary says every migration in use has run.
import { formatTable, formatTimestamp, print, printJson } from "../output.js";
import { existingOrEmptyDatabase } from "../database-check.js";
import { requireKnownApp } from "../migration-apps.js";
import { registeredMigrationApps } from "../../migrations/registry.js";
import type { CommandInput } from "../types.js";

/** One command for several apps (`forwards all`), unless one of them is opt-in (which `all` leaves out). */
function forwardsCommands(apps: string[]): string {
  const optIn = apps.some((name) => registeredMigrationApps().find((each) => each.name === name)?.optIn);
  const names = apps.length === 1 || optIn ? apps : ["all"];
  return names.map((name) => `"piccolo migrations forwards ${name}"`).join(", ");
}

export async function run(input: CommandInput): Promise<void> {
  const app = input.args[0] ?? "all";
  requireKnownApp(app, "check");
  const database = await existingOrEmptyDatabase(input.db);
  const runner: typeof import("../../migrations/runner.js") = await import("../../migrations/runner.js");
  const rows = await runner.migrationStatus({ app, database });
  if (input.json) {
    printJson(rows);
    return;
  }
  print(
    await formatTable(
      ["app", "migration_id", "ran", "ran_on", "description"],
      rows.map((row) => [row.app, row.id, String(row.ran), formatTimestamp(row.ranOn), row.description]),
    ),
  );
  // Opt-in apps none of whose migrations ran are off, not behind (unless named on the command line).
  const unused = registeredMigrationApps()
    .filter((each) => each.optIn && each.name !== app && rows.some((row) => row.app === each.name) && !rows.some((row) => row.app === each.name && row.ran))
    .map((each) => each.name);
  const pending = rows.filter((row) => !row.ran && !unused.includes(row.app));
  const apps = [...new Set(pending.map((row) => row.app))];
  const optInNote =
    unused.length === 0 ? "" : ` Off: the opt-in app${unused.length === 1 ? "" : "s"} ${unused.join(", ")} (forwards all leaves ${unused.length === 1 ? "it" : "them"} out; run ${unused.length === 1 ? "its" : "their"} forwards only to turn ${unused.length === 1 ? "it" : "them"} on).`;
  print(
    pending.length === 0
      ? `Every migration ${unused.length === 0 ? "" : "in use "}has run.${optInNote}`
      : `${pending.length} not yet run: run ${forwardsCommands(apps)}.${optInNote}`,
  );
}
