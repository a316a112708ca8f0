// A session row holds no foreign key to the user (piccolo_api's table has none, and SQLite gives a
// deleted user's id to the next one), so each row carries a keyed digest of the user row it was made
// for: HMAC-SHA256, keyed by the session token, over the user's id and stored password hash. The hash
// is salted, so a new user at a reused id never matches; a password change made anywhere (Python too)
// ends the older sessions; a row without it (written by Python's piccolo_api, or by piccolo-ts before
// this column) is refused. The check runs in the query that finds the session, joined on the user table.
import crypto from "node:crypto";
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { UserNotFoundError } from "../errors.js";
import { USER_BINDING_COLUMN } from "./migrations/2026-12-06T17-30-00.js";
import { SESSIONS_TABLE } from "../user/sessions-table.js";
import type { SessionInfo } from "./store-types.js";

/** The `user_binding` value of a session with this token for this user row (64 hex characters). */
export function userBinding(token: string, userId: number, storedPassword: string): string {
  return crypto.createHmac("sha256", token).update(`piccolo-ts session\n${userId}\n${storedPassword}`, "utf8").digest("hex");
}

/** True when the row's binding is the one its user row gives now (a missing user or binding: false). */
export function bindingHolds(
  token: string,
  row: { user_id: unknown; user_binding: unknown; bound_password: unknown },
  allowUnbound = false,
): boolean {
  if (typeof row.bound_password !== "string") return false;
  // A row Python's piccolo_api wrote has no binding: only the user row's existence can be checked.
  if (row.user_binding === null && allowUnbound) return true;
  if (typeof row.user_binding !== "string") return false;
  const expected = Buffer.from(userBinding(token, Number(row.user_id), row.bound_password), "utf8");
  const stored = Buffer.from(row.user_binding, "utf8");
  return stored.length === expected.length && crypto.timingSafeEqual(stored, expected);
}

/** The stored password hash of the user a new session is for; UserNotFoundError when there is none. */
export async function passwordOf(db: Kysely<any>, userTable: string, userId: number): Promise<string> {
  const row = await db.selectFrom(userTable).select("password").where("id", "=", userId).executeTakeFirst();
  if (!row || typeof row.password !== "string") throw new UserNotFoundError(userId);
  return row.password;
}

export interface BoundSessionRow {
  id: unknown;
  token: unknown;
  user_id: unknown;
  expiry_date: unknown;
  max_expiry_date: unknown;
  user_binding: unknown;
  /** The user row's password hash now, or null when no user has the id. */
  bound_password: unknown;
}

/** The session rows with these digests, each with its user row's password hash (one query). */
export function findBoundRows(db: Kysely<any>, userTable: string, digests: readonly string[]): Promise<BoundSessionRow[]> {
  return db
    .selectFrom(`${SESSIONS_TABLE} as s`)
    .leftJoin(`${userTable} as u`, "u.id", "s.user_id")
    .select(["s.id", "s.token", "s.user_id", "s.expiry_date", "s.max_expiry_date", `s.${USER_BINDING_COLUMN} as user_binding`, "u.password as bound_password"])
    .where("s.token", "in", digests)
    .execute() as Promise<BoundSessionRow[]>;
}

/**
 * Moves a session's expiry, only while its user row is still the one it was checked against: a user
 * deleted (or given a new password) between the lookup and this write leaves the session as it was.
 */
export async function extendBound(db: Kysely<any>, userTable: string, row: BoundSessionRow, expiry: string): Promise<void> {
  await db
    .updateTable(SESSIONS_TABLE)
    .set({ expiry_date: expiry })
    .where("id", "=", Number(row.id))
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom(userTable)
          .select(sql.lit(1).as("one"))
          .where("id", "=", Number(row.user_id))
          .where("password", "=", String(row.bound_password)),
      ),
    )
    .execute();
}

/**
 * Of the rows found for `tokenOf`'s stored tokens (in its order), the first live one (its binding holds,
 * now is before both its dates, read with `readDate`) with its dates, and the ids of the dead rows met
 * before it (to delete). `allowUnbound` honours rows without a binding (sessions shared with Python).
 */
export function firstLiveRow(
  rows: readonly BoundSessionRow[],
  tokenOf: ReadonlyMap<string, string>,
  now: number,
  readDate: (value: unknown) => Date | null,
  allowUnbound: boolean,
): { found: { info: SessionInfo; row: BoundSessionRow } | null; dead: number[] } {
  const dead: number[] = [];
  for (const [digest, token] of tokenOf) {
    const row = rows.find((candidate) => candidate.token === digest);
    if (!row) continue;
    const id = Number(row.id);
    const expiry = readDate(row.expiry_date)?.getTime() ?? 0;
    const maxExpiry = readDate(row.max_expiry_date)?.getTime() ?? 0;
    // Checked before anything is extended: a session of a deleted or replaced user is dead.
    if (!bindingHolds(token, row, allowUnbound) || !(now < expiry && now < maxExpiry)) {
      dead.push(id);
      continue;
    }
    return { found: { info: { id, userId: Number(row.user_id), expiryDate: new Date(expiry), maxExpiryDate: new Date(maxExpiry) }, row }, dead };
  }
  return { found: null, dead };
}
