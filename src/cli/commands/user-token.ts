// `piccolo user token <action> <username>`: API tokens in piccolo_api's token_auth table.
//   create   prints a new token (the only time it is shown)
//   list     the user's token ids
//   revoke   deletes the user's tokens (--id for one), asking first unless --yes
// Storage: PICCOLO_TOKENS=piccolo keeps tokens as piccolo_api does (plain); the default keeps digests.
import { UserNotFoundError } from "../../errors.js";
import { CliError, print, printJson, UsageError } from "../output.js";
import { InputEndedError, prompter } from "../prompts.js";
import type { CommandInput } from "../types.js";
import { warnIfUserMigrationsPending } from "../users.js";

const ACTIONS = ["create", "list", "revoke"];

export async function run(input: CommandInput): Promise<void> {
  const [action = "", username] = input.args;
  if (!ACTIONS.includes(action)) throw new UsageError(`Unknown action ${JSON.stringify(action)}: use ${ACTIONS.join(", ")}.`);
  if (!username) throw new UsageError(`piccolo user token ${action} needs a username.`);
  const storage = process.env.PICCOLO_TOKENS ?? "digest";
  if (storage !== "digest" && storage !== "piccolo") throw new UsageError('PICCOLO_TOKENS must be "digest" or "piccolo".');
  const [{ BaseUser }, { ApiTokens }] = await Promise.all([import("../../user/base-user.js"), import("../../user/api-tokens/tokens.js")]);
  BaseUser.database = input.db;
  await warnIfUserMigrationsPending(input.db);
  const user = await BaseUser.getUser(username);
  if (!user) throw new UserNotFoundError(username);
  const tokens = new ApiTokens({ tokens: storage, users: BaseUser });

  if (action === "create") {
    const token = await tokens.create(user.id);
    if (input.json) printJson({ username: user.username, token });
    else print(token);
    return;
  }
  if (action === "list") {
    const list = await tokens.list(user.id);
    if (input.json) printJson(list);
    else print(list.length === 0 ? `${user.username} has no API tokens` : list.map((t) => `token id ${t.id}`).join("\n"));
    return;
  }
  const id = input.options.id as number | undefined;
  if (input.options.yes !== true) {
    const question = `Revoke ${id === undefined ? "every API token" : `API token ${id}`} of ${user.username}? [y/N]`;
    let agreed: boolean;
    try {
      agreed = await prompter().confirm(question);
    } catch (error) {
      if (!(error instanceof InputEndedError)) throw error;
      throw new CliError(`Standard input ended before "${question}" was answered.`, { code: "INPUT_ENDED", hint: "Add --yes to answer yes." });
    }
    if (!agreed) {
      print("Nothing changed.");
      return;
    }
  }
  const revoked = await tokens.revoke(user.id, id);
  if (input.json) printJson({ username: user.username, revoked });
  else print(`Revoked ${revoked} API token(s) of ${user.username}`);
}
