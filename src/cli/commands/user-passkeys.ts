// `piccolo user passkeys <username> [--remove <name>]`: an operator's view of a user's passkeys (names,
// dates, whether synced; never key material), and the way back in when a device is lost: removing one.
import { UserNotFoundError } from "../../errors.js";
import { CliError, formatTimestamp, print, printJson, UsageError } from "../output.js";
import type { CommandInput } from "../types.js";
import { warnIfUserMigrationsPending } from "../users.js";

export async function run(input: CommandInput): Promise<number | void> {
  const username = input.args[0];
  if (!username) throw new UsageError("piccolo user passkeys needs a username.");
  const { BaseUser } = await import("../../user/base-user.js");
  const { PasskeyCredentials } = await import("../../user/passkeys/credentials.js");
  BaseUser.database = input.db;
  await warnIfUserMigrationsPending(input.db);
  const user = await BaseUser.getUser(username);
  if (!user) throw new UserNotFoundError(username);
  const credentials = new PasskeyCredentials(BaseUser);
  const remove = input.options.remove;
  if (typeof remove === "string") {
    if (!(await credentials.remove(user.id, { name: remove }))) {
      throw new CliError(`${user.username} has no passkey named ${JSON.stringify(remove)}.`, { hint: `List them with: piccolo user passkeys ${user.username}` });
    }
    if (input.json) printJson({ username: user.username, removed: remove });
    else print(`Removed the passkey ${JSON.stringify(remove)} of ${user.username}.`);
    return;
  }
  const passkeys = await credentials.list(user.id);
  if (input.json) {
    printJson({ username: user.username, passkeys: passkeys.map(({ name, createdAt, lastUsedAt, backedUp, transports }) => ({ name, createdAt, lastUsedAt, backedUp, transports })) });
    return;
  }
  if (passkeys.length === 0) {
    print(`${user.username} has no passkeys.`);
    return;
  }
  for (const key of passkeys) {
    print(`${key.name}: added ${formatTimestamp(key.createdAt)}, last used ${key.lastUsedAt ? formatTimestamp(key.lastUsedAt) : "never"}${key.backedUp ? ", synced (backed up)" : ""}`);
  }
}
