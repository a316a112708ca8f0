// `piccolo migrations backwards <app> [migration_id]` (aliases `b`, `back`): reverses the latest
// migration, or down to an ID, or `all`; asks `Reverse N migration(s)? [y/N]` unless --auto_agree/--yes.
import { CliError, UsageError, print } from "../output.js";
import { InputEndedError, prompter } from "../prompts.js";
import { existingOrEmptyDatabase } from "../database-check.js";
import type { CommandInput } from "../types.js";
import { requireKnownApp } from "../migration-apps.js";

const plural = (n: number) => (n === 1 ? "1 migration" : `${n} migrations`);

export async function run(input: CommandInput): Promise<void> {
  const runner: typeof import("../../migrations/runner.js") = await import("../../migrations/runner.js");
  const app = input.args[0] ?? "";
  requireKnownApp(app, "backwards");
  const positional = input.args[1];
  const flag = input.options.migration_id as string | undefined;
  if (positional !== undefined && flag !== undefined && positional !== flag) {
    throw new UsageError(`Two different migration IDs were given (${positional} and --migration_id=${flag}).`);
  }
  const given = positional ?? flag;
  // Piccolo's default `1` means the latest migration only.
  const migrationId = given === undefined || given === "1" ? undefined : given;
  const agreed = input.options.auto_agree === true;
  const database = await existingOrEmptyDatabase(input.db);

  const result = await runner.migrateBackwards(app, {
    migrationId,
    database,
    async confirm(plans) {
      const count = plans.reduce((sum, plan) => sum + plan.ids.length, 0);
      const { backwardsLosses, describeLosses } = await import("../backwards-losses.js");
      const { useDatabase } = await import("../../engine/connect.js");
      const losses = await backwardsLosses(await useDatabase(database), plans);
      // What goes for good, named before it goes: in the question, and in the output of --yes.
      const lost = losses.length === 0 ? "" : ` This deletes ${describeLosses(losses)}.`;
      if (agreed) {
        if (lost !== "") print(`Reversing ${plural(count)}.${lost}`);
        return true;
      }
      const question = `Reverse ${count} migration(s)?${lost} [y/N]`;
      try {
        return await prompter().confirm(question);
      } catch (error) {
        if (!(error instanceof InputEndedError)) throw error;
        throw new CliError(`Standard input ended before "${question}" was answered.`, {
          code: "INPUT_ENDED",
          hint: "Answer y on standard input, or add --yes (Piccolo's --auto_agree) to reverse without asking.",
        });
      }
    },
    onEvent(event) {
      if (event.type === "plan" && event.ids.length === 0) print(`No migrations to reverse for ${event.app}`);
      else if (event.type === "start") print(`Reversing ${event.id}: ${event.description}`);
      else if (event.type === "skipped") print(`${event.id} was reversed meanwhile by another process`);
    },
  });
  if (result.cancelled) {
    print("Not reversing anything.");
    return;
  }
  const reversed = result.apps.reduce((sum, each) => sum + each.reversed.length, 0);
  if (reversed > 0) print(`Done: ${plural(reversed)} reversed.`);
}
