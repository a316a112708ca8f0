import { createHash, randomBytes } from "node:crypto";
import { useDatabase, type Database } from "../engine/connect.js";
import { runTranslated } from "../engine/database-errors.js";
import { ValidationError } from "../errors.js";
import { SESSIONS_TABLE } from "./migrations/index.js";
import { sessionRowFormat, type SessionRowFormat, type SessionTokenStorage } from "./shared-sessions.js";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Options of `SessionStore` (durations in milliseconds); `createSessionAuth` takes them too. */
export interface SessionStoreOptions {
  /** The database holding `sessions`: an open `Database`, a URL/path, or unset for the resolution order. */
  database?: string | Database;
  /** How long a new session lives without use, in milliseconds (piccolo_api: 1 hour). */
  expiry?: number;
  /** The hard limit after creation, in milliseconds; use never extends a session past it (piccolo_api: 7 days). */
  maxExpiry?: number;
  /**
   * Sliding expiry, in milliseconds (Piccolo Admin: 20 minutes). When a session is used with less than this
   * left, its expiry moves this much later, capped at its max expiry. 0 turns extension off.
   */
  extension?: number;
  /** The clock (tests pass a fake one). */
  now?: () => Date;
  /**
   * `"digest"` (default): the table holds SHA-256 digests of the tokens and naive UTC dates. `"piccolo"`:
   * tokens as is and dates in piccolo_api's naive wall-clock form, so a Python app on the same table shares
   * the sessions (see the README for what each exposes if the table leaks).
   */
  tokens?: SessionTokenStorage;
  /** With `tokens: "piccolo"`: the time zone of the Python app's clock (default: this process's). */
  sharedTimeZone?: string;
}

/** A newly created session. `token` is the only copy of the secret: it goes into the cookie and nowhere else. */
export interface NewSession {
  /** The secret for the cookie: 43 URL-safe characters. */
  token: string;
  /** Whose session it is. */
  userId: number;
  /** When it ends unless used. */
  expiryDate: Date;
  /** When it ends however much it is used. */
  maxExpiryDate: Date;
}

/** A stored session as `resolve` sees it (the token itself is never stored). */
export interface SessionInfo {
  /** The session row's id. */
  id: number;
  /** Whose session it is. */
  userId: number;
  /** When it ends unless used (after any extension by this lookup). */
  expiryDate: Date;
  /** When it ends however much it is used. */
  maxExpiryDate: Date;
}

/**
 * 32 random bytes, URL-safe base64 without padding (43 characters), like Python's `secrets.token_urlsafe(32)`.
 * `SessionStore.create` makes one for you; use this for other secrets of the same strength.
 *
 * @example
 * ```ts
 * const token = generateSessionToken(); // e.g. "Jx3…" (43 characters)
 * ```
 */
export function generateSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * What the `token` column holds: the SHA-256 digest of the token, 64 lowercase hex characters. To find a
 * session row by its token in queries of your own (the table never holds the token itself).
 *
 * @example
 * ```ts
 * const row = await db.kysely.selectFrom("sessions").selectAll().where("token", "=", digestSessionToken(token)).executeTakeFirst();
 * ```
 */
export function digestSessionToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function positiveDuration(value: number | undefined, fallback: number, name: string, allowZero = false): number {
  const duration = value ?? fallback;
  if (!Number.isFinite(duration) || duration < 0 || (!allowZero && duration === 0)) {
    throw new ValidationError(`The session ${name} must be a positive number of milliseconds.`, name);
  }
  return duration;
}

/**
 * Sessions in piccolo_api's `sessions` table, keyed by a SHA-256 digest of the token: a leaked table holds
 * no usable login. Tokens made by Python's piccolo_api (stored as is) therefore do not resolve here; users
 * simply log in again. Use it directly for sessions outside Hono/Express (`SessionAuth` uses one).
 *
 * @example
 * ```ts
 * import { BaseUser, SessionStore } from "piccolo-ts";
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
  /** How tokens and dates are stored (`tokens` option). */
  readonly tokens: SessionTokenStorage;
  private readonly format: SessionRowFormat;
  private readonly databaseOption: string | Database | undefined;
  private readonly now: () => Date;

  constructor(options: SessionStoreOptions = {}) {
    this.databaseOption = options.database;
    this.expiry = positiveDuration(options.expiry, HOUR, "expiry");
    this.maxExpiry = positiveDuration(options.maxExpiry, 7 * DAY, "maxExpiry");
    this.extension = positiveDuration(options.extension, 20 * MINUTE, "extension", true);
    if (this.maxExpiry < this.expiry) {
      throw new ValidationError("The session maxExpiry must not be shorter than its expiry.", "maxExpiry");
    }
    this.now = options.now ?? (() => new Date());
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
   * Starts a session for a user id and returns its token (only its digest is stored).
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
    await this.run(db, () =>
      db.kysely
        .insertInto(SESSIONS_TABLE)
        .values({
          token: this.format.stored(token),
          user_id: userId,
          expiry_date: this.format.writeDate(expiryDate),
          max_expiry_date: this.format.writeDate(maxExpiryDate),
        })
        .execute(),
    );
    return { token, userId, expiryDate, maxExpiryDate };
  }

  /**
   * The user id of a live session, or null. A session is live while now is before both its expiry and its
   * max expiry; a dead one found here is deleted. A live one with less than `extension` left is extended by
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
    const digests = [...new Set(wellFormed.map((token) => this.format.stored(token)))];
    const db = await this.database();
    return this.run(db, async () => {
      const rows = await db.kysely
        .selectFrom(SESSIONS_TABLE)
        .select(["id", "token", "user_id", "expiry_date", "max_expiry_date"])
        .where("token", "in", digests)
        .execute();
      const now = this.now().getTime();
      const dead: number[] = [];
      let found: SessionInfo | null = null;
      for (const digest of digests) {
        const row = rows.find((candidate) => candidate.token === digest);
        if (!row || found) continue;
        const id = Number(row.id);
        const expiry = this.format.readDate(row.expiry_date)?.getTime() ?? 0;
        const maxExpiry = this.format.readDate(row.max_expiry_date)?.getTime() ?? 0;
        if (!(now < expiry && now < maxExpiry)) {
          dead.push(id);
          continue;
        }
        found = { id, userId: Number(row.user_id), expiryDate: new Date(expiry), maxExpiryDate: new Date(maxExpiry) };
      }
      if (dead.length > 0) await db.kysely.deleteFrom(SESSIONS_TABLE).where("id", "in", dead).execute();
      if (found && this.extension > 0 && found.expiryDate.getTime() - now < this.extension) {
        const expiry = found.expiryDate.getTime();
        const extended = Math.min(expiry + this.extension, found.maxExpiryDate.getTime());
        if (extended > expiry) {
          found.expiryDate = new Date(extended);
          await db.kysely
            .updateTable(SESSIONS_TABLE)
            .set({ expiry_date: this.format.writeDate(found.expiryDate) })
            .where("id", "=", found.id)
            .execute();
        }
      }
      return found;
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
