import type { Kysely } from "kysely";
import type { Database } from "../engine/connect.js";
import { missingTableName, runTranslated } from "../engine/database-errors.js";
import { sql } from "../engine/kysely.js";
import { withWriteTransaction } from "../engine/transaction.js";
import { LastSuperuserError, UserNotFoundError, ValidationError } from "../errors.js";
import { openUserDatabase, type UserSettings } from "./settings.js";
import type { GuardOptions, Permissions, ProfileChanges } from "./user-types.js";
import { assertAvailable, writeUnique } from "./create-user.js";
import { findUserRow, usersOf, type UserRef } from "./find-user.js";
import { hashPassword } from "../password/hasher.js";
import { notifySessionsEnded } from "./session-enders.js";
import { SESSIONS_TABLE } from "./sessions-table.js";
import type { UserKysely } from "./table.js";
import { PUBLIC_COLUMNS, userFromRow, type User } from "./user-row.js";
import { foldedUsernameValues } from "./username-lookup.js";
import { validateEmail, validateFlag, validateName, validatePassword, validateUserRef, validateUsername } from "./validation.js";

/** Sets a new password; ends every session of the user in the same transaction. */
export async function updatePassword(settings: UserSettings, user: UserRef, password: string): Promise<void> {
  const ref = validateUserRef(user);
  validatePassword(password, settings);
  const database = await openUserDatabase(settings);
  await runTranslated(database, async () => {
    const row = await findUserRow(database, settings, ref, ["id"]);
    if (!row) throw new UserNotFoundError(ref);
    // Hashed before the transaction: a write lock must not be held for the length of a hash.
    const hash = await hashPassword(password, settings.iterations);
    await withWriteTransaction(database, async (db) => {
      const result = await (db as UserKysely).updateTable(settings.tableName).set({ password: hash }).where("id", "=", row.id).executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw new UserNotFoundError(ref);
      await endSessions(db, row.id);
    });
  });
}

/**
 * Sets any of `admin`, `superuser`, `active` in one transaction; returns the user as stored. Clearing
 * `active` or `admin` ends the user's sessions. With `keepOneAdminSuperuser`, a change that would
 * leave no active admin superuser is refused (`LastSuperuserError`), decided under the same lock.
 */
export async function changePermissions(
  settings: Pick<UserSettings, "tableName" | "caseInsensitiveUsernames" | "database">,
  user: UserRef,
  permissions: Permissions,
  options: GuardOptions = {},
): Promise<User> {
  const ref = validateUserRef(user);
  const changes: Permissions = {};
  for (const flag of ["admin", "superuser", "active"] as const) {
    const value = validateFlag(permissions?.[flag], flag);
    if (value !== undefined) changes[flag] = value;
  }
  const database = await openUserDatabase(settings);
  const { dialect } = database;
  return runTranslated(database, () =>
    withWriteTransaction(database, async (db) => {
      const managers = options.keepOneAdminSuperuser ? await lockManagers(settings, database, db) : undefined;
      const row = await findUserRow(database, settings, ref, PUBLIC_COLUMNS, { db: db as UserKysely, forUpdate: true });
      if (!row) throw new UserNotFoundError(ref);
      const before = userFromRow(row);
      const after = { ...before, ...changes };
      if (managers && isManager(before) && !isManager(after)) assertAnotherManager(managers, before.id);
      const stored = Object.fromEntries(Object.entries(changes).map(([flag, value]) => [flag, dialect.booleanToDatabase(value)]));
      if (Object.keys(stored).length > 0) {
        await (db as UserKysely).updateTable(settings.tableName).set(stored).where("id", "=", before.id).execute();
      }
      if (changes.active === false || changes.admin === false) await endSessions(db, before.id);
      return after;
    }),
  );
}

/** Deletes the user and their sessions in one transaction. */
export async function deleteUser(settings: Pick<UserSettings, "tableName" | "caseInsensitiveUsernames" | "database">, user: UserRef, options: GuardOptions = {}): Promise<void> {
  const ref = validateUserRef(user);
  const database = await openUserDatabase(settings);
  await runTranslated(database, () =>
    withWriteTransaction(database, async (db) => {
      const managers = options.keepOneAdminSuperuser ? await lockManagers(settings, database, db) : undefined;
      const row = await findUserRow(database, settings, ref, PUBLIC_COLUMNS, { db: db as UserKysely, forUpdate: true });
      if (!row) throw new UserNotFoundError(ref);
      if (managers && isManager(userFromRow(row))) assertAnotherManager(managers, row.id);
      await endSessions(db, row.id);
      await (db as UserKysely).deleteFrom(settings.tableName).where("id", "=", row.id).execute();
    }),
  );
}

/** Changes username, email or names, with createUser's rules and messages. */
export async function updateProfile(settings: UserSettings, user: UserRef, changes: ProfileChanges): Promise<User> {
  const ref = validateUserRef(user);
  if (typeof changes !== "object" || changes === null) {
    throw new ValidationError("updateProfile takes { username?, email?, firstName?, lastName? }.");
  }
  const values: { username?: string; email?: string; first_name?: string | null; last_name?: string | null } = {};
  if (changes.username !== undefined) {
    validateUsername(changes.username, settings);
    values.username = changes.username;
    Object.assign(values, foldedUsernameValues(settings, changes.username));
  }
  if (changes.email !== undefined) values.email = validateEmail(changes.email);
  if (changes.firstName !== undefined) values.first_name = validateName(changes.firstName, "first_name");
  if (changes.lastName !== undefined) values.last_name = validateName(changes.lastName, "last_name");
  const database = await openUserDatabase(settings);
  return runTranslated(database, () =>
    withWriteTransaction(database, async (db) => {
      const users = db as UserKysely;
      const row = await findUserRow(database, settings, ref, ["id"], { db: users, forUpdate: true });
      if (!row) throw new UserNotFoundError(ref);
      const wanted = { username: values.username, email: values.email };
      await assertAvailable(settings, users, wanted, row.id);
      if (Object.keys(values).length > 0) {
        await writeUnique(wanted, () => users.updateTable(settings.tableName).set(values).where("id", "=", row.id).execute());
      }
      const updated = await findUserRow(database, settings, row.id, PUBLIC_COLUMNS, { db: users });
      if (!updated) throw new UserNotFoundError(ref);
      return userFromRow(updated);
    }),
  );
}

/** Who can manage users in the admin: an active admin superuser. */
function isManager(user: Pick<User, "active" | "admin" | "superuser">): boolean {
  return user.active && user.admin && user.superuser;
}

/**
 * The ids of the active admin superusers, their rows locked until commit. Taken first, in id order, by
 * every guarded change, so two of them wait for each other instead of deadlocking, and the second
 * sees what the first left.
 */
async function lockManagers(settings: Pick<UserSettings, "tableName">, database: Database, db: Kysely<any>): Promise<number[]> {
  const yes = database.dialect.booleanToDatabase(true);
  let query = (db as UserKysely)
    .selectFrom(settings.tableName)
    .select("id")
    .where("active", "=", yes)
    .where("admin", "=", yes)
    .where("superuser", "=", yes)
    .orderBy("id");
  if (database.dialect.supportsForUpdate) query = query.forUpdate();
  return (await query.execute()).map((row) => row.id);
}

function assertAnotherManager(managers: readonly number[], userId: number): void {
  if (!managers.some((id) => id !== userId)) throw new LastSuperuserError();
}

/**
 * Ends every session of a user. The sessions table exists only once session_auth ran; a savepoint
 * keeps its absence from aborting the surrounding transaction (PostgreSQL would).
 */
export async function endSessions(db: Kysely<any>, userId: number): Promise<void> {
  // Stores outside the database (Redis) first: should one fail, the change fails with it.
  await notifySessionsEnded(userId);
  await sql`SAVEPOINT end_sessions`.execute(db);
  try {
    await (db as UserKysely).deleteFrom(SESSIONS_TABLE).where("user_id", "=", userId).execute();
    await sql`RELEASE SAVEPOINT end_sessions`.execute(db);
  } catch (error) {
    if (missingTableName(error) === null) throw error;
    await sql`ROLLBACK TO SAVEPOINT end_sessions`.execute(db);
  }
}

