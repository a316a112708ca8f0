// `piccolo user create` (alias `new`): Piccolo's questions, in Piccolo's order, for whatever was not
// given as a flag; then `Created User <id>`. Each answer is checked as soon as it is typed (rules, a
// taken username or email, a second user without an email); on a terminal a refused answer is asked
// again with the reason, so one typo never throws the other answers away.
import { UserExistsError, ValidationError } from "../../errors.js";
import { print, printJson } from "../output.js";
import { prompter } from "../prompts.js";
import type { CommandInput } from "../types.js";
import { askNewPassword, askUntilAccepted, givenPassword, loginName, warnIfUserMigrationsPending } from "../users.js";

/** One @ with something on each side, no spaces: what every address has, whatever else it holds. */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;

type UserClass = typeof import("../../user/base-user.js").BaseUser;

/** Refuses a username that breaks the rules or is taken, with the message createUser would give. */
async function checkUsername(BaseUser: UserClass, username: string): Promise<string> {
  const validation: typeof import("../../user/validation.js") = await import("../../user/validation.js");
  validation.validateUsername(username, BaseUser);
  if (await BaseUser.getUser(username)) {
    throw new UserExistsError("username", `The username "${username}" is already taken.`);
  }
  return username;
}

/** Refuses an email that breaks the rules or that another user has (no email counts: '' is unique too). */
async function checkEmail(BaseUser: UserClass, email: string): Promise<string> {
  const { validateEmail } = await import("../../user/validation.js");
  const valid = validateEmail(email);
  // The library stores any text (as Piccolo does); the command refuses a typo that is no address at all.
  if (valid !== "" && !EMAIL_SHAPE.test(valid)) {
    throw new ValidationError(`"${valid}" is not an email address (name@domain), or leave it empty for none.`, "email");
  }
  const db = await BaseUser.getDatabase();
  const { runTranslated } = await import("../../engine/database-errors.js");
  const taken = await runTranslated(db, () =>
    db.kysely.selectFrom(BaseUser.tableName).select("id").where("email", "=", valid).limit(1).executeTakeFirst(),
  );
  if (taken) {
    throw new UserExistsError(
      "email",
      valid === ""
        ? "Another user already has no email address, and emails must be unique: give this user an email."
        : `The email "${valid}" is already taken.`,
    );
  }
  return valid;
}

export async function run(input: CommandInput): Promise<void> {
  const BaseUser: UserClass = (await import("../../user/base-user.js")).BaseUser;
  BaseUser.database = input.db;
  const options = input.options;
  const ask = prompter();

  // A password given up front is checked before anything else happens.
  let password = await givenPassword(options, ask, input.name);
  if (password !== undefined) BaseUser.validatePassword(password);

  await warnIfUserMigrationsPending(input.db);
  // Reach the user table before asking anything: a missing table or server fails now, not after the typing.
  await BaseUser.getUser(0);

  const givenUsername = options.username as string | undefined;
  let username: string;
  if (givenUsername !== undefined) username = await checkUsername(BaseUser, givenUsername);
  else {
    const login = loginName();
    const question = login ? `Enter username (${login}):` : "Enter username:";
    username = await askUntilAccepted(ask, () => ask.text(question, login), (answer) => checkUsername(BaseUser, answer), question);
  }

  const givenEmail = options.email as string | undefined;
  const email =
    givenEmail !== undefined
      ? await checkEmail(BaseUser, givenEmail)
      : await askUntilAccepted(ask, () => ask.text("Enter email:"), (answer) => checkEmail(BaseUser, answer), "Enter email:");

  if (password === undefined) password = await askNewPassword(ask, (p) => BaseUser.validatePassword(p));

  const admin = (options.is_admin as boolean | undefined) ?? (await ask.yesNo("Admin user? Enter y or n:"));
  const superuser = (options.is_superuser as boolean | undefined) ?? (await ask.yesNo("Superuser? Enter y or n:"));
  const active = (options.is_active as boolean | undefined) ?? (await ask.yesNo("Active? Enter y or n:"));

  const user = await BaseUser.createUser({ username, password, email, admin, superuser, active });
  if (input.json) printJson(user);
  else print(`Created User ${user.id}`);
}
