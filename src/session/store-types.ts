// What a session store deals in: durations, the options, a new session, a stored one, and the token
// with its digest (the only form of it the table holds). store.ts re-exports all of it.
import { createHash, randomBytes } from "node:crypto";
import type { Database } from "../engine/connect.js";
import { ConfigError } from "../errors.js";
import type { SessionTokenStorage } from "./shared-sessions.js";

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
  /**
   * The user table sessions belong to, in the same database (default `piccolo_user`; `createSessionAuth`
   * passes its `userClass.tableName`). A session is valid only while the user row it was made for exists
   * with the same stored password hash (see `create`).
   */
  userTable?: string;
  /** The clock (tests pass a fake one). */
  now?: () => Date;
  /**
   * `"digest"` (default): the table holds SHA-256 digests of the tokens and naive UTC dates. `"piccolo"`:
   * tokens as is and dates in piccolo_api's naive wall-clock form, so a Python app on the same table shares
   * the sessions (docs/two-factor.md says what each exposes if the table leaks).
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

/** A well-formed session token: 43 URL-safe characters. Anything else is never looked up. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A store option's duration in milliseconds (its default when unset); ConfigError when not positive. */
export function sessionDuration(value: number | undefined, fallback: number, name: string, allowZero = false): number {
  const duration = value ?? fallback;
  if (!Number.isFinite(duration) || duration < 0 || (!allowZero && duration === 0)) {
    throw new ConfigError(`The session ${name} must be a positive number of milliseconds.`);
  }
  return duration;
}

/**
 * What `SessionAuth` needs of a session store: `SessionStore` (the database's `sessions` table) and
 * `RedisSessionStore` both are one. Every lookup must check the user row it was made for (see `create`).
 */
export interface SessionStorage {
  /** How long a new session lives without use, in milliseconds. */
  readonly expiry: number;
  /** The hard limit after creation, in milliseconds. */
  readonly maxExpiry: number;
  /** How much later a session's expiry moves when used near its end, in milliseconds (0: never). */
  readonly extension: number;
  /** Starts a session for a user id; `UserNotFoundError` when no user has it. */
  create(userId: number): Promise<NewSession>;
  /** The user id of a live session, or null. */
  resolve(token: unknown): Promise<number | null>;
  /** Like `resolve`, with the session's dates. */
  lookup(token: unknown): Promise<SessionInfo | null>;
  /** The first of `tokens` naming a live session. */
  lookupFirst(tokens: readonly unknown[]): Promise<SessionInfo | null>;
  /** Ends one session. */
  remove(token: unknown): Promise<void>;
  /** Ends every session of a user; returns how many there were. */
  removeAllForUser(userId: number): Promise<number>;
  /** Deletes expired sessions; returns how many. */
  removeExpired(): Promise<number>;
  /** How many sessions a user has. */
  countForUser(userId: number): Promise<number>;
}
