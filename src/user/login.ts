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
import { recordLoginLater } from "./login-writes.js";
import { LOOKUP_ROW_LIMIT, isEmailIdentifier, loginFilter, pickLoginRow } from "./username-lookup.js";
import { MAX_EMAIL_LENGTH, exceedsLength, isComparableText } from "./validation.js";

/**
 * The user's id when the password is right (and `allow` accepts the user), else null. Costs one
 * password hash of the class's iteration count whether or not the username exists. `username` is the
 * identifier typed: with `loginWithEmail`, one with `@` may be an email. A stored hash of an imported
 * format (legacy-hashes.ts) is verified too, and replaced by a Piccolo hash on success.
 *
 * Before the answer: one SELECT and the hash. A success's `last_login` is written just after it
 * (login-writes.ts), so unknown users, wrong and right passwords all answer after the same work.
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
  // One query for every way the identifier can name a user; the choice among its rows is made here.
  // It is the login's only query before the answer (the rate limit's account key comes from it too).
  const row = await runTranslated(database, async () => {
    const rows = await usersOf(database)
      .selectFrom(settings.tableName)
      .select([...PUBLIC_COLUMNS, "password"])
      .where(loginFilter(settings, username))
      .limit(LOOKUP_ROW_LIMIT)
      .execute();
    return pickLoginRow(settings, rows, username);
  });
  if (options.beforeHash && !(await options.beforeHash({ userId: row?.id ?? null }))) return null;
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
    return null;
  }
  if (options.allow && !options.allow(userFromRow(row!))) return null;
  // An imported format has no iteration count: 0 makes the upgrade below happen, unless bcrypt read only
  // part of the password: any password with the same first 72 bytes matched, so the hash is kept.
  let storedIterations = parsed ? parsed.iterations : 0;
  if (legacy && isTruncatedByBcrypt(password, row!.password)) {
    settings.logger.warn(`User ${row!.id} logged in with a password longer than bcrypt's 72 bytes: the bcrypt hash is kept (not upgraded); give them a new password.`);
    storedIterations = settings.iterations;
  }
  if (storedIterations !== settings.iterations) {
    await runTranslated(database, () => upgradeHash(settings, database, row!.id, row!.password, password));
  } else {
    // The answer does not wait for last_login (login-writes.ts): a success and a failure then cost the
    // same before it (the query and the hash), and this class's reads and close() wait for the write.
    recordLoginLater(database, settings, row!.id);
  }
  return row!.id;
}

/**
 * A hash of another iteration count (or an imported format) replaced by one of the class's count, with
 * `last_login`, before the answer: this login already pays a second hash, and the next one finds it done.
 */
async function upgradeHash(settings: UserSettings, database: Database, id: number, storedHash: string, password: string): Promise<void> {
  const upgraded = await hashPassword(password, settings.iterations);
  const users = usersOf(database);
  // Only replace the hash that was verified: a password changed meanwhile must win.
  const result = await users
    .updateTable(settings.tableName)
    .set({ last_login: nowTimestamp(), password: upgraded })
    .where("id", "=", id)
    .where("password", "=", storedHash)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) recordLoginLater(database, settings, id);
}
