// With `loginWithEmail`, a login identifier with `@` is looked up as an email first, then as a username
// (username-lookup.ts). So one user's email must never be another user's username: whoever holds it as an
// email would take over the lookup of the other's username (and a username set to someone's email would
// stand in for it when two emails differ only in case). Usernames and emails are unique each on their own
// (the table's constraints); this keeps them apart from each other, on create, edit and import.
import type { Expression, ExpressionBuilder, SqlBool } from "kysely";
import { sql } from "kysely";
import { UserExistsError } from "../errors.js";
import { FOLDED_USERNAME_COLUMN, foldUsername } from "./username-folding.js";
import { asciiLowerCase, type UsernameModes } from "./username-lookup.js";

type Filter = (eb: ExpressionBuilder<any, any>) => Expression<SqlBool>;

/** Only identifiers with `@` are ever looked up as emails. */
function mayBeEmail(value: string | undefined): value is string {
  return value !== undefined && value.includes("@");
}

/** True when a login typed as `email` would also name the user called `username`, or the reverse. */
export function sameIdentifier(modes: Pick<UsernameModes, "caseInsensitiveUsernames">, username: string, email: string): boolean {
  if (!mayBeEmail(username) || !mayBeEmail(email)) return false;
  if (asciiLowerCase(username) === asciiLowerCase(email)) return true;
  return modes.caseInsensitiveUsernames && foldUsername(username) === foldUsername(email);
}

/**
 * WHERE for the other users whose email or username a new `username`/`email` would collide with across
 * the two columns (a superset: `lower()` folds at least ASCII on every engine; sameIdentifier decides).
 * Null when nothing can collide.
 */
export function crossIdentifierFilter(modes: UsernameModes, wanted: { username?: string; email?: string }): Filter | null {
  if (!modes.loginWithEmail) return null;
  const { username, email } = wanted;
  const checks: Filter[] = [];
  if (mayBeEmail(username)) checks.push((eb) => sql<SqlBool>`lower(${eb.ref("email")}) = lower(${username})`);
  if (mayBeEmail(email)) {
    checks.push((eb) => sql<SqlBool>`lower(${eb.ref("username")}) = lower(${email})`);
    if (modes.caseInsensitiveUsernames) checks.push((eb) => eb(FOLDED_USERNAME_COLUMN, "=", foldUsername(email)));
  }
  if (checks.length === 0) return null;
  return (eb) => eb.or(checks.map((check) => check(eb)));
}

/** The UserExistsError for a collision among `rows` (other users), or null. */
export function crossIdentifierError(
  modes: UsernameModes,
  rows: readonly { username?: unknown; email?: unknown }[],
  wanted: { username?: string; email?: string },
): UserExistsError | null {
  if (!modes.loginWithEmail) return null;
  const { username, email } = wanted;
  if (username !== undefined && rows.some((row) => typeof row.email === "string" && sameIdentifier(modes, username, row.email))) {
    return new UserExistsError(
      "username",
      `The username "${username}" is another user's email: with login by email, one identifier may not name two users.`,
    );
  }
  if (email !== undefined && rows.some((row) => typeof row.username === "string" && sameIdentifier(modes, row.username, email))) {
    return new UserExistsError(
      "email",
      `The email "${email}" is another user's username: with login by email, one identifier may not name two users.`,
    );
  }
  return null;
}
