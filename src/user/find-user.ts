import type { Database } from "../engine/connect.js";
import { runTranslated } from "../engine/database-errors.js";
import { openUserDatabase, type UserSettings } from "./settings.js";
import type { UserKysely } from "./table.js";
import { PUBLIC_COLUMNS, userFromRow, type PublicColumn, type User } from "./user-row.js";
import { LOOKUP_ROW_LIMIT, pickByUsername, usernameFilter } from "./username-lookup.js";
import { isComparableText, isStorableId, validateUserRef } from "./validation.js";

/** A user's identity: the id (number) or the username (string), as in Piccolo. */
export type UserRef = number | string;

/** The user table: its name, or a BaseUser class (whose `caseInsensitiveUsernames` then applies). */
export type UserTableRef = string | { tableName: string; caseInsensitiveUsernames?: boolean };

export function usersOf(database: Database): UserKysely {
  return database.kysely as UserKysely;
}

/**
 * The row of the user `ref` names, with `columns` (and the username), or undefined. Usernames compare
 * exactly (or folded, with case-insensitive usernames): MySQL's comparison ignores trailing spaces,
 * so a near match is re-checked here.
 */
export async function findUserRow<C extends PublicColumn | "password">(
  database: Database,
  tableRef: UserTableRef,
  ref: UserRef,
  columns: readonly C[],
  options: { db?: UserKysely; forUpdate?: boolean } = {},
) {
  if (typeof ref === "number" ? !isStorableId(ref) : !isComparableText(ref)) return undefined;
  const table = typeof tableRef === "string" ? tableRef : tableRef.tableName;
  const modes = { caseInsensitiveUsernames: typeof tableRef !== "string" && tableRef.caseInsensitiveUsernames === true };
  const db = options.db ?? usersOf(database);
  const select = [...new Set<C | "username">([...columns, "username"])];
  let query = db.selectFrom(table).select(select);
  query = typeof ref === "number" ? query.where("id", "=", ref) : query.where(usernameFilter(modes, ref)).limit(LOOKUP_ROW_LIMIT);
  if (options.forUpdate && database.dialect.supportsForUpdate) query = query.forUpdate();
  const rows = await query.execute();
  return typeof ref === "number" ? rows[0] : pickByUsername(modes, rows, ref);
}

/** The user with this id or username, without the password, or null. */
export async function getUser(settings: Pick<UserSettings, "tableName" | "caseInsensitiveUsernames" | "database">, user: UserRef): Promise<User | null> {
  const ref = validateUserRef(user);
  const database = await openUserDatabase(settings);
  return runTranslated(database, async () => {
    const row = await findUserRow(database, settings, ref, PUBLIC_COLUMNS);
    return row ? userFromRow(row) : null;
  });
}
