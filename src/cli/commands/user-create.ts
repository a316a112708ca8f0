// `piccolo user create` (alias `new`): Piccolo's questions, in Piccolo's order, for whatever was not
// given as a flag; then `Created User <id>`.
import { UserExistsError } from "../../errors.js";
import { print, printJson } from "../output.js";
import { prompter } from "../prompts.js";
import type { CommandInput } from "../types.js";
import { askNewPassword, givenPassword, loginName, warnIfUserMigrationsPending } from "../users.js";

export async function run(input: CommandInput): Promise<void> {
  const BaseUser: typeof import("../../user/base-user.js").BaseUser = (await import("../../user/base-user.js")).BaseUser;
  const validation: typeof import("../../user/validation.js") = await import("../../user/validation.js");
  BaseUser.database = input.db;
  const options = input.options;
  const ask = prompter();

  // A password given up front is checked before anything else happens.
  let password = await givenPassword(options, ask, input.name);
  if (password !== undefined) BaseUser.validatePassword(password);

  await warnIfUserMigrationsPending(input.db);
  // Reach the user table before asking anything: a missing table or server fails now, not after the typing.
  await BaseUser.getUser(0);

  let username = options.username as string | undefined;
  if (username === undefined) {
    const login = loginName();
    username = await ask.text(login ? `Enter username (${login}):` : "Enter username:", login);
  }
  validation.validateUsername(username, BaseUser);
  // Taken usernames are refused before the password is typed.
  if (await BaseUser.getUser(username)) {
    throw new UserExistsError("username", `The username "${username}" is already taken.`);
  }

  const email = (options.email as string | undefined) ?? (await ask.text("Enter email:"));
  validation.validateEmail(email);

  if (password === undefined) password = await askNewPassword(ask, (p) => BaseUser.validatePassword(p));

  const admin = (options.is_admin as boolean | undefined) ?? (await ask.yesNo("Admin user? Enter y or n:"));
  const superuser = (options.is_superuser as boolean | undefined) ?? (await ask.yesNo("Superuser? Enter y or n:"));
  const active = (options.is_active as boolean | undefined) ?? (await ask.yesNo("Active? Enter y or n:"));

  const user = await BaseUser.createUser({ username, password, email, admin, superuser, active });
  if (input.json) printJson(user);
  else print(`Created User ${user.id}`);
}
