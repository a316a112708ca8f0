import type { Database } from "../engine/connect.js";
import { runTranslated } from "../engine/database-errors.js";
import { nowTimestamp } from "../engine/values.js";
import type { BaseUser, LoginOptions } from "./base-user.js";
import { findUserRow, usersOf } from "./find-user.js";
import { burnOneHash, hashPassword, parseStoredHash, verifyPassword } from "./hasher.js";
import { userFromRow, PUBLIC_COLUMNS } from "./user-row.js";
import { exceedsLength, isComparableText } from "./validation.js";

/**
 * The user's id when the password is right (and `allow` accepts the user), else null. Costs one
 * password hash of the class's iteration count whether or not the username exists.
 */
export async function login(
  cls: typeof BaseUser,
  username: unknown,
  password: unknown,
  options: LoginOptions = {},
): Promise<number | null> {
  if (typeof username !== "string" || typeof password !== "string") return null;
  if (exceedsLength(username, cls.maxUsernameLength)) {
    cls.logger.warn("Excessively long username provided.");
    return null;
  }
  if (exceedsLength(password, cls.maxPasswordLength)) {
    cls.logger.warn("Excessively long password provided.");
    return null;
  }
  // No stored user can have these (see validation.ts): answering without a query says nothing about real users.
  if (password.includes("\0") || !isComparableText(username)) return null;

  const database = await cls.getDatabase();
  return runTranslated(database, async () => {
    const row = await findUserRow(database, cls.tableName, username, [...PUBLIC_COLUMNS, "password"]);
    const parsed = row ? parseStoredHash(row.password) : null;
    if (row && !parsed) {
      cls.logger.warn(`User ${row.id} has a stored password that is not a valid hash; login refused.`);
    }
    const verified = row && parsed ? await verifyPassword(password, row.password, cls.iterations) : false;
    if (!verified) {
      // Equal cost for every failure: an unknown user, a bad stored value, or a weaker stored hash
      // (padded up to the class's count, as Django's harden_runtime does) all take one full hash.
      if (!parsed) await burnOneHash(password, cls.iterations);
      else if (parsed.iterations < cls.iterations) await burnOneHash(password, cls.iterations - parsed.iterations);
      await touchNobody(cls, database);
      return null;
    }
    if (options.allow && !options.allow(userFromRow(row!))) {
      await touchNobody(cls, database);
      return null;
    }
    await recordLogin(cls, database, row!.id, row!.password, password, parsed!.iterations);
    return row!.id;
  });
}

/** The database work of a successful login, done for a failed one too, so timing tells nothing. */
async function touchNobody(cls: typeof BaseUser, database: Database): Promise<void> {
  await usersOf(database).updateTable(cls.tableName).set({ last_login: nowTimestamp() }).where("id", "=", -1).execute();
}

async function recordLogin(
  cls: typeof BaseUser,
  database: Database,
  id: number,
  storedHash: string,
  password: string,
  storedIterations: number,
): Promise<void> {
  const lastLogin = nowTimestamp();
  const users = usersOf(database);
  if (storedIterations !== cls.iterations) {
    const upgraded = await hashPassword(password, cls.iterations);
    // Only replace the hash that was verified: a password changed meanwhile must win.
    const result = await users
      .updateTable(cls.tableName)
      .set({ last_login: lastLogin, password: upgraded })
      .where("id", "=", id)
      .where("password", "=", storedHash)
      .executeTakeFirst();
    if (result.numUpdatedRows > 0n) return;
  }
  await users.updateTable(cls.tableName).set({ last_login: lastLogin }).where("id", "=", id).execute();
}
