// `piccolo user delete <username>`: deletes a user and ends their sessions, after a [y/N] question
// (or at once with --yes, for scripts). An unknown user is an error (exit 1); answering no changes
// nothing (exit 0). Not in Python Piccolo's CLI.
import { TableMissingError, UserNotFoundError } from "../../errors.js";
import { CliError, print, printJson } from "../output.js";
import { InputEndedError, prompter } from "../prompts.js";
import type { CommandInput } from "../types.js";
import { warnIfUserMigrationsPending } from "../users.js";

/** The admin's history of the user stays, but must not pass to a later user given the same id (SQLite reuses ids). */
async function retireAdminHistory(database: string | undefined, userId: number): Promise<void> {
  const { AdminHistory } = await import("../../admin/history-store.js");
  try {
    await new AdminHistory(database).retire(userId);
  } catch (error) {
    if (!(error instanceof TableMissingError)) throw error; // admin_history not migrated: nothing to retire
  }
}

export async function run(input: CommandInput): Promise<void> {
  const BaseUser: typeof import("../../user/base-user.js").BaseUser = (await import("../../user/base-user.js")).BaseUser;
  BaseUser.database = input.db;
  const username = input.args[0] ?? "";

  await warnIfUserMigrationsPending(input.db);
  const user = await BaseUser.getUser(username);
  if (!user) throw new UserNotFoundError(username);

  if (input.options.yes !== true) {
    const question = `Delete user ${user.username} (id ${user.id}) and end their sessions? [y/N]`;
    let agreed: boolean;
    try {
      agreed = await prompter().confirm(question);
    } catch (error) {
      if (!(error instanceof InputEndedError)) throw error;
      throw new CliError(`Standard input ended before "${question}" was answered.`, {
        code: "INPUT_ENDED",
        hint: "Answer y on standard input, or add --yes to delete without asking.",
      });
    }
    if (!agreed) {
      if (input.json) printJson({ deleted: false, id: user.id, username: user.username });
      else print("Not deleting anything.");
      return;
    }
  }
  await BaseUser.deleteUser(user.id);
  await retireAdminHistory(input.db, user.id);
  if (input.json) printJson({ deleted: true, id: user.id, username: user.username });
  else print(`Deleted user ${user.username} and their sessions`);
}
