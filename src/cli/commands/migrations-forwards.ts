// `piccolo migrations forwards <app>` (aliases `f`, `forward`): runs what has not run yet, one line
// per migration as it starts; `--preview` prints the SQL instead, `--fake` only records them.
import { print } from "../output.js";
import { existingOrEmptyDatabase } from "../database-check.js";
import type { CommandInput } from "../types.js";
import { requireKnownApp } from "../migration-apps.js";

const plural = (n: number) => (n === 1 ? "1 migration" : `${n} migrations`);

export async function run(input: CommandInput): Promise<void> {
  const runner: typeof import("../../migrations/runner.js") = await import("../../migrations/runner.js");
  const app = input.args[0] ?? "";
  requireKnownApp(app, "forwards");
  const migrationId = input.options.migration_id as string | undefined;
  const fake = input.options.fake === true;

  if (input.options.preview === true) {
    // A preview changes nothing: no database file yet means nothing has run (none is created).
    const database = await existingOrEmptyDatabase(input.db);
    const previews = await runner.previewForwards(app, { migrationId, database });
    if (previews.length === 0) print(`No migrations need to be run for ${app}`);
    for (const preview of previews) {
      print(`-- ${preview.app} ${preview.id}: ${preview.description}`);
      for (const statement of preview.statements) print(`${statement};`);
    }
    return;
  }

  const result = await runner.migrateForwards(app, {
    migrationId,
    fake,
    database: input.db,
    onEvent(event) {
      if (event.type === "plan") {
        print(
          event.ids.length === 0
            ? `No migrations need to be run for ${event.app}`
            : `${plural(event.ids.length)} not yet run for ${event.app}`,
        );
      } else if (event.type === "start") {
        print(`${event.fake ? "Faking" : "Running"} ${event.id}: ${event.description}`);
      } else if (event.type === "skipped") {
        print(`${event.id} was run meanwhile by another process`);
      }
    },
  });
  const applied = result.apps.reduce((sum, each) => sum + each.applied.length, 0);
  if (applied > 0) print(`Done: ${plural(applied)} ${fake ? "recorded as ran (faked)" : "ran"}.`);
}
