// How BaseUser finds a user by a name someone typed, under the two opt-ins:
// `caseInsensitiveUsernames` (names compare folded, see username-folding.ts) and `loginWithEmail`
// (a login identifier with `@` may be an email). One query either way; the rows it returns are a
// superset that the functions here narrow in JavaScript, so every engine gives the same answer.
import type { Expression, ExpressionBuilder, SqlBool } from "kysely";
import { sql } from "kysely";
import { ValidationError } from "../errors.js";
import { FOLDED_USERNAME_COLUMN, FOLDED_USERNAME_LENGTH, foldUsername } from "./username-folding.js";

/** How a user class matches what is typed in a login form (its statics of the same names). */
export interface UsernameModes {
  /** Usernames compare folded (see foldUsername). */
  caseInsensitiveUsernames: boolean;
  /** An identifier with `@` may be an email. */
  loginWithEmail: boolean;
}

type Filter = (eb: ExpressionBuilder<any, any>) => Expression<SqlBool>;

/** At most this many rows answer one lookup (an email can match a few rows that differ only in case). */
export const LOOKUP_ROW_LIMIT = 10;

/** WHERE for "the user called `name`": the exact name, or with case-insensitive names also the folded one. */
export function usernameFilter(modes: Pick<UsernameModes, "caseInsensitiveUsernames">, name: string): Filter {
  if (!modes.caseInsensitiveUsernames) return (eb) => eb("username", "=", name);
  // The exact name too: rows written by something that does not fill username_folded (Python
  // Piccolo, a raw INSERT) have it NULL and are still found by their exact name.
  return (eb) => eb.or([eb(FOLDED_USERNAME_COLUMN, "=", foldUsername(name)), eb("username", "=", name)]);
}

/** True when the stored username is the one asked for (MySQL's `=` also ignores trailing spaces: decide here). */
export function isSameUsername(modes: Pick<UsernameModes, "caseInsensitiveUsernames">, stored: unknown, given: string): boolean {
  if (typeof stored !== "string") return false;
  if (stored === given) return true;
  return modes.caseInsensitiveUsernames && foldUsername(stored) === foldUsername(given);
}

/** The row that is the user called `name`: an exact match first, else the one whose folded name matches. */
export function pickByUsername<Row extends { username?: unknown }>(
  modes: Pick<UsernameModes, "caseInsensitiveUsernames">,
  rows: readonly Row[],
  name: string,
): Row | undefined {
  return rows.find((row) => row.username === name) ?? rows.find((row) => isSameUsername(modes, row.username, name));
}

/** The extra column values a write of `username` needs (none unless usernames are case-insensitive). */
export function foldedUsernameValues(
  modes: Pick<UsernameModes, "caseInsensitiveUsernames">,
  username: string,
): Record<string, string> {
  if (!modes.caseInsensitiveUsernames) return {};
  const folded = foldUsername(username);
  if (folded.length > FOLDED_USERNAME_LENGTH) {
    throw new ValidationError(`The username is too long once normalised (max ${FOLDED_USERNAME_LENGTH} characters).`, "username");
  }
  return { [FOLDED_USERNAME_COLUMN]: folded };
}

/** Whether a login identifier is tried as an email (it has `@` and the class logs in by email). */
export function isEmailIdentifier(modes: Pick<UsernameModes, "loginWithEmail">, identifier: string): boolean {
  return modes.loginWithEmail && identifier.includes("@");
}

/**
 * Emails compare with ASCII letters case-folded (`Bob@X.com` = `bob@x.com`), other characters exactly:
 * SQLite's lower() folds only ASCII, so that is the folding every engine can agree on; domain names
 * are ASCII (IDNA) anyway.
 */
export function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** WHERE for a login identifier: the username, and with `loginWithEmail` an identifier with `@` also as an email. */
export function loginFilter(modes: UsernameModes, identifier: string): Filter {
  const byName = usernameFilter(modes, identifier);
  if (!isEmailIdentifier(modes, identifier)) return byName;
  // lower() folds at least ASCII on every engine, so this returns every row pickLoginRow may choose.
  return (eb) => eb.or([byName(eb), sql<SqlBool>`lower(${sql.ref("email")}) = lower(${identifier})`]);
}

/**
 * The user a login identifier names: with `@` (and loginWithEmail) the user with that email (exact,
 * else the one user whose email matches with ASCII case ignored), then the user with that username.
 * Two users whose emails differ only in case are both skipped for the case-ignoring match: ambiguous.
 */
export function pickLoginRow<Row extends { username?: unknown; email?: unknown }>(
  modes: UsernameModes,
  rows: readonly Row[],
  identifier: string,
): Row | undefined {
  if (isEmailIdentifier(modes, identifier)) {
    const exact = rows.find((row) => row.email === identifier);
    if (exact) return exact;
    const folded = asciiLowerCase(identifier);
    const similar = rows.filter((row) => typeof row.email === "string" && asciiLowerCase(row.email) === folded);
    if (similar.length === 1) return similar[0];
  }
  return pickByUsername(modes, rows, identifier);
}

/**
 * The label of a login form's first field: "Username or email" when the class logs in by email, else
 * "Username". For the session layer's and the admin's login forms, and for yours.
 *
 * @example
 * ```ts
 * class AppUser extends BaseUser { static override loginWithEmail = true; }
 * loginFieldLabel(AppUser);  // "Username or email"
 * loginFieldLabel(BaseUser); // "Username"
 * ```
 */
export function loginFieldLabel(userClass: Pick<UsernameModes, "loginWithEmail">): string {
  return userClass.loginWithEmail ? "Username or email" : "Username";
}
