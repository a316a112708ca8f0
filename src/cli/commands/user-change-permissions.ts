// `piccolo user change_permissions <username> [--admin=…] [--superuser=…] [--active=…]`
// (aliases `perm`, `perms`): an unknown user is an error (exit 1); no flag is `No changes detected`, a
// mistake in the command line (exit 2) where Piccolo exits 0 and a script would not notice.
import { UserNotFoundError } from "../../errors.js";
import { UsageError, print } from "../output.js";
import type { CommandInput } from "../types.js";
import { warnIfUserMigrationsPending } from "../users.js";

export async function run(input: CommandInput): Promise<void> {
  const { BaseUser } = await import("../../user/base-user.js");
  BaseUser.database = input.db;
  const username = input.args[0] ?? "";
  const changes: { admin?: boolean; superuser?: boolean; active?: boolean } = {};
  for (const flag of ["admin", "superuser", "active"] as const) {
    const value = input.options[flag];
    if (typeof value === "boolean") changes[flag] = value;
  }
  if (Object.keys(changes).length === 0) {
    throw new UsageError(
      "No changes detected: no --admin, --superuser or --active was given.",
      `For example "piccolo user change_permissions ${username} --admin=t --active=t".`,
    );
  }

  await warnIfUserMigrationsPending(input.db);
  if (!(await BaseUser.getUser(username))) throw new UserNotFoundError(username);
  await BaseUser.changePermissions(username, changes);
  print(`Updated permissions for ${username}`);
}
