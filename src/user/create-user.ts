import type { Database } from "../engine/connect.js";
import { runTranslated, uniqueViolationColumn } from "../engine/database-errors.js";
import { UserExistsError, ValidationError } from "../errors.js";
import { openUserDatabase, type UserSettings } from "./settings.js";
import type { CreateUserInput } from "./user-types.js";
import { usersOf } from "./find-user.js";
import { hashPassword } from "../password/hasher.js";
import type { UserKysely } from "./table.js";
import type { User } from "./user-row.js";
import { isFoldedUsernameColumn } from "./username-folding.js";
import { foldedUsernameValues, isSameUsername, usernameFilter } from "./username-lookup.js";
import { crossIdentifierError, crossIdentifierFilter } from "./identifier-collisions.js";
import { validateEmail, validateFlag, validateName, validatePassword, validateUsername } from "./validation.js";

export async function createUser(settings: UserSettings, input: CreateUserInput): Promise<User> {
  if (typeof input !== "object" || input === null) {
    throw new ValidationError("createUser takes { username, password, … }.");
  }
  validateUsername(input.username, settings);
  validatePassword(input.password, settings);
  const email = validateEmail(input.email);
  const firstName = validateName(input.firstName, "first_name");
  const lastName = validateName(input.lastName, "last_name");
  const active = validateFlag(input.active, "active") ?? false;
  const admin = validateFlag(input.admin, "admin") ?? false;
  const superuser = validateFlag(input.superuser, "superuser") ?? false;
  const { username, password } = input;

  const database = await openUserDatabase(settings);
  const { dialect } = database;
  return runTranslated(database, async () => {
    // Fail before paying for a hash; the unique constraints still decide races.
    await assertAvailable(settings, usersOf(database), { username, email });
    const values = {
      username,
      password: await hashPassword(password, settings.iterations),
      email,
      active: dialect.booleanToDatabase(active),
      admin: dialect.booleanToDatabase(admin),
      superuser: dialect.booleanToDatabase(superuser),
      first_name: firstName,
      last_name: lastName,
      ...foldedUsernameValues(settings, username),
    };
    let id: number;
    try {
      id = await dialect.insertReturningId(usersOf(database).insertInto(settings.tableName).values(values));
    } catch (error) {
      const column = uniqueViolationColumn(error);
      if (column === "username" || column === "email") throw existsError(column, username, email);
      if (isFoldedUsernameColumn(column)) throw existsError("username", username, email);
      throw error;
    }
    return { id, username, email, firstName, lastName, active, admin, superuser, lastLogin: null };
  });
}

/** Refuses a username or email that another user (not `exceptId`) has, before any hash or write. */
export async function assertAvailable(
  settings: Pick<UserSettings, "tableName" | "caseInsensitiveUsernames" | "loginWithEmail">,
  db: UserKysely,
  wanted: { username?: string; email?: string },
  exceptId?: number,
): Promise<void> {
  const { username, email } = wanted;
  if (username === undefined && email === undefined) return;
  // With login by email, also a username that is another user's email, or the reverse.
  const across = crossIdentifierFilter(settings, wanted);
  let query = db
    .selectFrom(settings.tableName)
    .select(["id", "username", "email"])
    .where((eb) =>
      eb.or([
        ...(username === undefined ? [] : [usernameFilter(settings, username)(eb)]),
        ...(email === undefined ? [] : [eb("email", "=", email)]),
        ...(across ? [across(eb)] : []),
      ]),
    );
  if (exceptId !== undefined) query = query.where("id", "<>", exceptId);
  const rows = await query.limit(10).execute();
  if (username !== undefined && rows.some((row) => isSameUsername(settings, row.username, username))) {
    throw existsError("username", username, email ?? "");
  }
  if (email !== undefined && rows.some((row) => row.email === email)) throw existsError("email", username ?? "", email);
  const collision = crossIdentifierError(settings, rows, wanted);
  if (collision) throw collision;
}

export function existsError(field: "username" | "email", username: string, email: string): UserExistsError {
  if (field === "username") return new UserExistsError("username", `The username "${username}" is already taken.`);
  if (email === "") {
    return new UserExistsError(
      "email",
      "Another user already has no email address, and emails must be unique: give this user an email.",
    );
  }
  return new UserExistsError("email", `The email "${email}" is already taken.`);
}

/** Writes a username or email change, turning a unique-constraint race into the field's UserExistsError. */
export async function writeUnique<T>(wanted: { username?: string; email?: string }, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const column = uniqueViolationColumn(error);
    if (column === "username" || column === "email") throw existsError(column, wanted.username ?? "", wanted.email ?? "");
    if (isFoldedUsernameColumn(column)) throw existsError("username", wanted.username ?? "", wanted.email ?? "");
    throw error;
  }
}
