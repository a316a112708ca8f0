// `piccolo user change_password [username]` (aliases `password`, `pass`): asks for what is not given,
// refuses an unknown user (Piccolo reports success there), prints `Updated password for <username>`.
import { UserNotFoundError } from "../../errors.js";
import { print } from "../output.js";
import { prompter } from "../prompts.js";
import type { CommandInput } from "../types.js";
import { askNewPassword, givenPassword, warnIfUserMigrationsPending } from "../users.js";

export async function run(input: CommandInput): Promise<void> {
  const BaseUser: typeof import("../../user/base-user.js").BaseUser = (await import("../../user/base-user.js")).BaseUser;
  const validation: typeof import("../../user/validation.js") = await import("../../user/validation.js");
  BaseUser.database = input.db;
  const ask = prompter();

  let password = await givenPassword(input.options, ask, input.name);
  if (password !== undefined) BaseUser.validatePassword(password);

  await warnIfUserMigrationsPending(input.db);
  await BaseUser.getUser(0); // the table and the server, before any question

  const username = input.args[0] ?? (await ask.text("Enter username:"));
  validation.validateUsername(username, BaseUser);
  if (!(await BaseUser.getUser(username))) throw new UserNotFoundError(username);

  if (password === undefined) password = await askNewPassword(ask, (p) => BaseUser.validatePassword(p), username);
  // Also ends the user's sessions (piccolo_api's `sessions` table), so the old password's logins stop.
  await BaseUser.updatePassword(username, password);
  print(`Updated password for ${username}`);
  print("Their existing sessions have been ended: they need to log in again with the new password.");
}
