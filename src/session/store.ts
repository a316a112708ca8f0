import { useDatabase, type Database } from "../engine/connect.js";
import { runTranslated } from "../engine/database-errors.js";
import { ConfigError, ValidationError } from "../errors.js";
import { SESSIONS_TABLE } from "./migrations/index.js";
import { sessionRowFormat, type SessionRowFormat, type SessionTokenStorage } from "./shared-sessions.js";
import { extendBound, findBoundRows, firstLiveRow, passwordOf, userBinding } from "./user-binding.js";
import { DAY, HOUR, MINUTE, TOKEN_PATTERN, generateSessionToken, sessionDuration } from "./store-types.js";
import type { NewSession, SessionInfo, SessionStoreOptions } from "./store-types.js";

export { DAY, HOUR, MINUTE, digestSessionToken, generateSessionToken } from "./store-types.js";
export type { NewSession, SessionInfo, SessionStorage, SessionStoreOptions } from "./store-types.js";

/**
 * Sessions in piccolo_api's `sessions` table, keyed by a SHA-256 digest of the token: a leaked table holds
 * no usable login. Tokens made by Python's piccolo_api (stored as is) therefore do not resolve here; users
 * simply log in again. Use it directly for sessions outside Hono/Express (`SessionAuth` uses one).
 *
 * @example
 * ```ts
 * import { BaseUser } from "piccolo-ts";
 * import { SessionStore } from "piccolo-ts/session";
 *
 * const store = new SessionStore({ expiry: 60 * 60_000, maxExpiry: 7 * 24 * 60 * 60_000 });
 * const userId = await BaseUser.login("bob", "bob-s3cret");
 * if (userId !== null) {
 *   const { token } = await store.create(userId); // give `token` to the client
 *   await store.resolve(token);                   // userId, or null once expired or removed
 * }
 * ```
 */
export class SessionStore {
  /** How long a new session lives without use, in milliseconds. */
  readonly expiry: number;
  /** The hard limit after creation, in milliseconds. */
  readonly maxExpiry: number;
  /** How much later a session's expiry moves when used near its end, in milliseconds (0: never). */
  readonly extension: number;
  /** The user table sessions are bound to. */
  readonly userTable: string;
  /** How tokens and dates are stored (`tokens` option). */
  readonly tokens: SessionTokenStorage;
  private readonly format: SessionRowFormat;
  private readonly databaseOption: string | Database | undefined;
  private readonly now: () => Date;

  constructor(options: SessionStoreOptions = {}) {
    this.databaseOption = options.database;
    this.expiry = sessionDuration(options.expiry, HOUR, "expiry");
    this.maxExpiry = sessionDuration(options.maxExpiry, 7 * DAY, "maxExpiry");
    this.extension = sessionDuration(options.extension, 20 * MINUTE, "extension", true);
    if (this.maxExpiry < this.expiry) {
      throw new ConfigError("The session maxExpiry must not be shorter than its expiry.");
    }
    this.now = options.now ?? (() => new Date());
    this.userTable = options.userTable ?? "piccolo_user";
    this.format = sessionRowFormat(options.tokens, options.sharedTimeZone);
    this.tokens = this.format.tokens;
  }

  /**
   * The database the sessions are in.
   *
   * @example
   * ```ts
   * const db = await store.database();
   * ```
   */
  database(): Promise<Database> {
    return useDatabase(this.databaseOption);
  }

  /**
   * Starts a session for a user id and returns its token (only its digest is stored). The row is bound to
   * the user row as it is now: deleting the user, or changing their stored password hash (a new password,
   * or the upgrade of an old hash at a login), ends the session, even when a later user gets the same id.
   * `UserNotFoundError` when no user has the id.
   *
   * @example
   * ```ts
   * const { token, expiryDate } = await store.create(userId);
   * ```
   */
  async create(userId: number): Promise<NewSession> {
    if (!Number.isSafeInteger(userId)) throw new ValidationError("A session needs a user id.", "userId");
    const token = generateSessionToken();
    const now = this.now().getTime();
    const expiryDate = new Date(now + this.expiry);
    const maxExpiryDate = new Date(now + this.maxExpiry);
    const db = await this.database();
    await this.run(db, async () => {
      // A user deleted after this read leaves a row bound to a hash no later user can have.
      const password = await passwordOf(db.kysely, this.userTable, userId);
      await db.kysely
        .insertInto(SESSIONS_TABLE)
        .values({
          token: this.format.stored(token),
          user_id: userId,
          expiry_date: this.format.writeDate(expiryDate),
          max_expiry_date: this.format.writeDate(maxExpiryDate),
          user_binding: userBinding(token, userId, password),
        })
        .execute();
    });
    return { token, userId, expiryDate, maxExpiryDate };
  }

  /**
   * The user id of a live session, or null. A session is live while now is before both its expiry and its
   * max expiry and its user row is the one it was made for (same id, same stored password hash); a dead one
   * found here is deleted. A live one with less than `extension` left is extended by
   * `extension`, never past its max expiry. Anything that is not a well-formed token answers null, no query.
   *
   * @example
   * ```ts
   * const userId = await store.resolve(cookieValue);
   * const user = userId === null ? null : await BaseUser.getUser(userId);
   * ```
   */
  async resolve(token: unknown): Promise<number | null> {
    return (await this.lookup(token))?.userId ?? null;
  }

  /**
   * Like `resolve`, with the session's dates (after any extension).
   *
   * @example
   * ```ts
   * const session = await store.lookup(token);
   * if (session) console.log(`expires at ${session.expiryDate.toISOString()}`);
   * ```
   */
  async lookup(token: unknown): Promise<SessionInfo | null> {
    return this.lookupFirst([token]);
  }

  /**
   * The first of `tokens` (in their order) naming a live session, found with ONE query whatever their
   * number; dead sessions among them are deleted, the live one is extended as `lookup` does. For requests
   * that carry several cookies of the same name (different paths).
   *
   * @example
   * ```ts
   * const session = await store.lookupFirst(["tokenFromAdminPath", "tokenFromRoot"]);
   * ```
   */
  async lookupFirst(tokens: readonly unknown[]): Promise<SessionInfo | null> {
    const wellFormed = tokens.filter((token): token is string => typeof token === "string" && TOKEN_PATTERN.test(token));
    if (wellFormed.length === 0) return null;
    const tokenOf = new Map(wellFormed.map((token) => [this.format.stored(token), token]));
    const digests = [...tokenOf.keys()];
    const db = await this.database();
    return this.run(db, async () => {
      const rows = await findBoundRows(db.kysely, this.userTable, digests);
      const now = this.now().getTime();
      // Rows Python's piccolo_api wrote carry no binding: honoured only when sharing sessions with it.
      const { found, dead } = firstLiveRow(rows, tokenOf, now, this.format.readDate, this.tokens === "piccolo");
      if (dead.length > 0) await db.kysely.deleteFrom(SESSIONS_TABLE).where("id", "in", dead).execute();
      if (!found) return null;
      const { info, row } = found;
      if (this.extension > 0 && info.expiryDate.getTime() - now < this.extension) {
        const expiry = info.expiryDate.getTime();
        const extended = Math.min(expiry + this.extension, info.maxExpiryDate.getTime());
        if (extended > expiry) {
          info.expiryDate = new Date(extended);
          await extendBound(db.kysely, this.userTable, row, this.format.writeDate(info.expiryDate));
        }
      }
      return info;
    });
  }

  /**
   * Ends one session (logout). Unknown tokens are ignored.
   *
   * @example
   * ```ts
   * await store.remove(token);
   * ```
   */
  async remove(token: unknown): Promise<void> {
    if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) return;
    const db = await this.database();
    await this.run(db, () =>
      db.kysely.deleteFrom(SESSIONS_TABLE).where("token", "=", this.format.stored(token)).execute(),
    );
  }

  /**
   * Ends every session of a user (password change, deactivation). Returns how many there were.
   *
   * @example
   * ```ts
   * const ended = await store.removeAllForUser(userId); // "log out everywhere"
   * ```
   */
  async removeAllForUser(userId: number): Promise<number> {
    const db = await this.database();
    const result = await this.run(db, () =>
      db.kysely.deleteFrom(SESSIONS_TABLE).where("user_id", "=", userId).executeTakeFirst(),
    );
    return Number(result.numDeletedRows);
  }

  /**
   * Deletes sessions past their expiry or max expiry (housekeeping; `resolve` never accepts them anyway).
   * Returns how many. Run it now and then, e.g. hourly.
   *
   * @example
   * ```ts
   * setInterval(() => void store.removeExpired(), 60 * 60_000).unref();
   * ```
   */
  async removeExpired(): Promise<number> {
    const now = this.format.writeDate(this.now());
    const db = await this.database();
    const result = await this.run(db, () =>
      db.kysely
        .deleteFrom(SESSIONS_TABLE)
        .where((eb) => eb.or([eb("expiry_date", "<=", now), eb("max_expiry_date", "<=", now)]))
        .executeTakeFirst(),
    );
    return Number(result.numDeletedRows);
  }

  /**
   * How many sessions a user has (live or not yet cleaned up).
   *
   * @example
   * ```ts
   * const open = await store.countForUser(userId);
   * ```
   */
  async countForUser(userId: number): Promise<number> {
    const db = await this.database();
    const row = await this.run(db, () =>
      db.kysely
        .selectFrom(SESSIONS_TABLE)
        .select((eb) => eb.fn.countAll().as("count"))
        .where("user_id", "=", userId)
        .executeTakeFirstOrThrow(),
    );
    return Number(row.count);
  }

  private run<T>(db: Database, work: () => Promise<T>): Promise<T> {
    return runTranslated(db, work, { app: "session_auth" });
  }
}
