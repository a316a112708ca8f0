// `piccolo user list` (alias `ls`): a page of users as an aligned table, or `--json`; never a password.
// When there are more users than the page shows, a line on stderr says which page this is and how to
// see the next one (stdout keeps Piccolo's table alone).
import { ValidationError } from "../../errors.js";
import { UsageError, formatTable, formatTimestamp, note, print, printJson } from "../output.js";
import type { CommandInput } from "../types.js";
import { warnIfUserMigrationsPending } from "../users.js";

/** Piccolo's columns, in Piccolo's order. */
const COLUMNS = ["id", "username", "first_name", "last_name", "email", "active", "admin", "superuser", "last_login"];

/** The flag behind each of listUsers' rules, with a value that fits it. */
const FLAG_EXAMPLES: Record<string, string> = {
  limit: "--limit=20",
  page: "--page=2",
  order_by: "--order_by=-last_login",
};

export async function run(input: CommandInput): Promise<void> {
  const { BaseUser } = await import("../../user/base-user.js");
  BaseUser.database = input.db;
  const { limit = 20, page = 1, order_by: orderBy } = input.options as { limit?: number; page?: number; order_by?: string };

  await warnIfUserMigrationsPending(input.db);
  let users: Awaited<ReturnType<typeof BaseUser.listUsers>>;
  try {
    users = await BaseUser.listUsers({ limit, page, orderBy });
  } catch (error) {
    // A flag value that breaks Piccolo's rules is a wrong command line (exit 2), with Piccolo's message.
    const example = error instanceof ValidationError ? FLAG_EXAMPLES[error.field ?? ""] : undefined;
    if (example) throw new UsageError(error instanceof Error ? error.message : String(error), `For example ${example}.`);
    throw error;
  }
  if (input.json) {
    printJson(users);
    return;
  }
  // Counting costs a query: only when this page is full or not the first can there be other pages.
  const total = users.length === limit || page > 1 ? await BaseUser.countUsers() : users.length;
  const pages = Math.max(1, Math.ceil(total / limit));
  if (users.length === 0) {
    print("No data");
    if (total > 0) note(`Page ${page} is past the last page: there ${total === 1 ? "is 1 user" : `are ${total} users`} on ${pages === 1 ? "1 page" : `${pages} pages`} of ${limit}.`);
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
  print(await formatTable(COLUMNS, rows));
  if (pages > 1) {
    const more = page < pages ? ` — --page=${page + 1} for more` : "";
    note(`page ${page} of ${pages} (${total} users)${more}`);
  }
}
