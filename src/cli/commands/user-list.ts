// `piccolo user list` (alias `ls`): a page of users as an aligned table, or `--json`; never a password.
import { formatTable, formatTimestamp, print, printJson } from "../output.js";
import type { CommandInput } from "../types.js";
import { warnIfUserMigrationsPending } from "../users.js";

/** Piccolo's columns, in Piccolo's order. */
const COLUMNS = ["id", "username", "first_name", "last_name", "email", "active", "admin", "superuser", "last_login"];

export async function run(input: CommandInput): Promise<void> {
  const { BaseUser } = await import("../../user/base-user.js");
  BaseUser.database = input.db;
  const { limit, page, order_by: orderBy } = input.options as { limit?: number; page?: number; order_by?: string };

  await warnIfUserMigrationsPending(input.db);
  const users = await BaseUser.listUsers({ limit, page, orderBy });
  if (input.json) {
    printJson(users);
    return;
  }
  if (users.length === 0) {
    print("No data");
    return;
  }
  const rows = users.map((user) => [
    String(user.id),
    user.username,
    user.firstName ?? "",
    user.lastName ?? "",
    user.email,
    String(user.active),
    String(user.admin),
    String(user.superuser),
    formatTimestamp(user.lastLogin),
  ]);
  print(formatTable(COLUMNS, rows));
}
