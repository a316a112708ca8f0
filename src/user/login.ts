import type { Database } from "../engine/connect.js";
import { runTranslated } from "../engine/database-errors.js";
import { nowTimestamp } from "../engine/values.js";
import { openUserDatabase, type UserSettings } from "./settings.js";
import type { LoginOptions } from "./user-types.js";
import { usersOf } from "./find-user.js";
import { admitLogin } from "../password/hash-pool.js";
import { burnOneHash, hashPassword, parseStoredHash, verifyPassword } from "../password/hasher.js";
import { identifyLegacyHash, isTruncatedByBcrypt, verifyLegacyHash } from "../password/legacy-hashes.js";
import { userFromRow, PUBLIC_COLUMNS } from "./user-row.js";
import { LOOKUP_ROW_LIMIT, isEmailIdentifier, loginFilter, pickLoginRow } from "./username-lookup.js";
import { MAX_EMAIL_LENGTH, exceedsLength, isComparableText } from "./validation.js";

/**
 * The user's id when the password is right (and `allow` accepts the user), else null. Costs one
 * password hash of the class's iteration count whether or not the username exists. `username` is the
 * identifier typed: with `loginWithEmail`, one with `@` may be an email. A stored hash of an imported
 * format (legacy-hashes.ts) is verified too, and replaced by a Piccolo hash on success.
 */
export async function login(
  settings: UserSettings,
  username: unknown,
  password: unknown,
  options: LoginOptions = {},
): Promise<number | null> {
  if (typeof username !== "string" || typeof password !== "string") return null;
  const maxLength = isEmailIdentifier(settings, username) ? Math.max(settings.maxUsernameLength, MAX_EMAIL_LENGTH) : settings.maxUsernameLength;
  if (exceedsLength(username, maxLength)) {
    settings.logger.warn("Excessively long username provided.");
    return null;
  }
  if (exceedsLength(password, settings.maxPasswordLength)) {
    settings.logger.warn("Excessively long password provided.");
    return null;
  }
  // No stored user can have these (see validation.ts): answering without a query says nothing about real users.
  if (password.includes("\0") || !isComparableText(username)) return null;
  // Under a flood, refuse before the query: the hash it leads to would be refused anyway.
  const release = admitLogin();
  try {
    return await lookUpAndVerify(settings, username, password, options);
  } finally {
    release();
  }
}

async function lookUpAndVerify(settings: UserSettings, username: string, password: string, options: LoginOptions): Promise<number | null> {
  const database = await openUserDatabase(settings);
  return runTranslated(database, async () => {
    // One query for every way the identifier can name a user; the choice among its rows is made here.
    const rows = await usersOf(database)
      .selectFrom(settings.tableName)
      .select([...PUBLIC_COLUMNS, "password"])
      .where(loginFilter(settings, username))
      .limit(LOOKUP_ROW_LIMIT)
      .execute();
    const row = pickLoginRow(settings, rows, username);
    const parsed = row ? parseStoredHash(row.password) : null;
    const legacy = row && !parsed ? identifyLegacyHash(row.password) : null;
    if (row && !parsed && !legacy) {
      settings.logger.warn(`User ${row.id} has a stored password that is not a valid hash; login refused.`);
    }
    let verified = false;
    if (row && parsed) verified = await verifyPassword(password, row.password, settings.iterations);
    else if (row && legacy) verified = (await verifyLegacyHash(password, row.password)) === true;
    if (!verified) {
      // Equal cost for every failure: an unknown user, a bad stored value, or a weaker stored hash
      // (padded up to the class's count, as Django's harden_runtime does) all take one full hash.
      // An imported format's failure costs its own check plus that hash (as its success costs the re-hash).
      if (!parsed) await burnOneHash(password, settings.iterations);
      else if (parsed.iterations < settings.iterations) await burnOneHash(password, settings.iterations - parsed.iterations);
      await touchNobody(settings, database);
      return null;
    }
    if (options.allow && !options.allow(userFromRow(row!))) {
      await touchNobody(settings, database);
      return null;
    }
    // An imported format has no iteration count: 0 makes the upgrade below happen, unless bcrypt read only
    // part of the password: any password with the same first 72 bytes matched, so the hash is kept.
    let storedIterations = parsed ? parsed.iterations : 0;
    if (legacy && isTruncatedByBcrypt(password, row!.password)) {
      settings.logger.warn(`User ${row!.id} logged in with a password longer than bcrypt's 72 bytes: the bcrypt hash is kept (not upgraded); give them a new password.`);
      storedIterations = settings.iterations;
    }
    await recordLogin(settings, database, row!.id, row!.password, password, storedIterations);
    return row!.id;
  });
}

/** The database work of a successful login, done for a failed one too, so timing tells nothing. */
async function touchNobody(settings: UserSettings, database: Database): Promise<void> {
  await usersOf(database).updateTable(settings.tableName).set({ last_login: nowTimestamp() }).where("id", "=", -1).execute();
}

async function recordLogin(
  settings: UserSettings,
  database: Database,
  id: number,
  storedHash: string,
  password: string,
  storedIterations: number,
): Promise<void> {
  const lastLogin = nowTimestamp();
  const users = usersOf(database);
  if (storedIterations !== settings.iterations) {
    const upgraded = await hashPassword(password, settings.iterations);
    // Only replace the hash that was verified: a password changed meanwhile must win.
    const result = await users
      .updateTable(settings.tableName)
      .set({ last_login: lastLogin, password: upgraded })
      .where("id", "=", id)
      .where("password", "=", storedHash)
      .executeTakeFirst();
    if (result.numUpdatedRows > 0n) return;
  }
  await users.updateTable(settings.tableName).set({ last_login: lastLogin }).where("id", "=", id).execute();
}
