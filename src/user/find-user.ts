import type { Database } from "../engine/connect.js";
import type { UserKysely } from "./table.js";
import type { PublicColumn } from "./user-row.js";
import { isComparableText, isStorableId } from "./validation.js";

/** A user's identity: the id (number) or the username (string), as in Piccolo. */
export type UserRef = number | string;

export function usersOf(database: Database): UserKysely {
  return database.kysely as UserKysely;
}

/**
 * The row of the user `ref` names, with `columns` (and the username), or undefined. Usernames compare
 * exactly: MySQL's comparison ignores trailing spaces, so a near match is re-checked here.
 */
export async function findUserRow<C extends PublicColumn | "password">(
  database: Database,
  table: string,
  ref: UserRef,
  columns: readonly C[],
  options: { db?: UserKysely; forUpdate?: boolean } = {},
) {
  if (typeof ref === "number" ? !isStorableId(ref) : !isComparableText(ref)) return undefined;
  const db = options.db ?? usersOf(database);
  const select = [...new Set<C | "username">([...columns, "username"])];
  let query = db.selectFrom(table).select(select).where(typeof ref === "number" ? "id" : "username", "=", ref);
  if (options.forUpdate && database.dialect.supportsForUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (row && typeof ref === "string" && row.username !== ref) return undefined;
  return row;
}
