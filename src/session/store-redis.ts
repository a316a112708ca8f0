import { useDatabase, type Database } from "../engine/connect.js";
import { runTranslated } from "../engine/database-errors.js";
import { ConfigError, ValidationError } from "../errors.js";
import { onSessionsEnded } from "../user/session-enders.js";
import { checkedPrefix, redisConnection, type RedisConnection } from "./redis-connection.js";
import { DAY, HOUR, MINUTE, TOKEN_PATTERN, digestSessionToken, generateSessionToken, sessionDuration } from "./store-types.js";
import type { NewSession, SessionInfo, SessionStorage, SessionStoreOptions } from "./store-types.js";
import { bindingHolds, passwordOf, userBinding } from "./user-binding.js";

/** Options of `RedisSessionStore`: the `SessionStore` ones (the database holds the users), and the Redis. */
export interface RedisSessionStoreOptions extends SessionStoreOptions {
  /** The Redis (URL or shared `RedisConnection`): `redis://host:6379`, `redis+cluster://host:7001,host:7002`. */
  redis: string | RedisConnection;
  /** Prefix of every key (default `piccolo:`). */
  prefix?: string;
}

/** What a session key holds (the token itself never: the key is named by its digest). */
interface StoredSession {
  /** The user id. */
  u: number;
  /** Expiry and max expiry, ms since the epoch. */
  e: number;
  m: number;
  /** The user binding (HMAC keyed by the token over the user's id and stored password hash). */
  b: string;
}

// The user's index: a sorted set of the user's session digests scored by their expiry. Adding prunes
// the expired ones and sets the set's own TTL to its latest expiry, so it never outlives (or outgrows)
// its sessions.
const INDEX_ADD = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(top[2]) - tonumber(ARGV[3])))
return 1
`;
// Moves one member's expiry later only while it is still in the index (never re-adds a removed one).
const INDEX_EXTEND = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then return 0 end
redis.call('ZADD', KEYS[1], 'XX', 'GT', ARGV[2], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 1
`;
// Replaces a session's value and TTL only if it still holds what the lookup read: an evicted or
// removed session is never brought back by its extension.
const SESSION_EXTEND = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;
const INDEX_TAKE_ALL = `
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return members
`;

/**
 * Sessions in Redis: the same surface and guarantees as `SessionStore`, for deployments that keep
 * per-request state off the user database. A session is one key named by the token's SHA-256 digest,
 * with a TTL equal to its expiry (never past its max expiry; extension moves it), listed in its user's
 * index (one hash tag per user). A session counts only while both its key and its index entry exist
 * and its user row in the database still has the id and stored password hash it was made for: "log out
 * everywhere" drops the index; a deleted user, or a new user at a reused id, never matches. Losing keys
 * (FLUSHALL, eviction) is at worst a logout.
 *
 * @example
 * ```ts
 * const store = new RedisSessionStore({ redis: "redis://127.0.0.1:6379", database: process.env.DATABASE_URL });
 * const { token } = await store.create(userId);
 * await store.resolve(token); // userId
 * ```
 */
export class RedisSessionStore implements SessionStorage {
  readonly expiry: number;
  readonly maxExpiry: number;
  readonly extension: number;
  readonly userTable: string;
  /** The connection the sessions are kept on. */
  readonly connection: RedisConnection;
  /** Prefix of every key. */
  readonly prefix: string;
  private readonly databaseOption: string | Database | undefined;
  private readonly now: () => Date;

  constructor(options: RedisSessionStoreOptions) {
    this.databaseOption = options.database;
    this.expiry = sessionDuration(options.expiry, HOUR, "expiry");
    this.maxExpiry = sessionDuration(options.maxExpiry, 7 * DAY, "maxExpiry");
    this.extension = sessionDuration(options.extension, 20 * MINUTE, "extension", true);
    if (this.maxExpiry < this.expiry) throw new ConfigError("The session maxExpiry must not be shorter than its expiry.");
    this.now = options.now ?? (() => new Date());
    this.userTable = options.userTable ?? "piccolo_user";
    this.connection = redisConnection(options.redis);
    this.prefix = checkedPrefix(options.prefix);
    // Password changes, deactivations and deletions made through the API in this process reach Redis too.
    onSessionsEnded(`${this.connection.url}\n${this.prefix}\n${this.userTable}`, async (userId) => {
      if (!this.connection.closed) await this.removeAllForUser(userId);
    });
  }

  /** The key of a session (by its token's digest). */
  sessionKey(digest: string): string {
    return `${this.prefix}s:${digest}`;
  }

  /** The key of a user's index of sessions (its own hash tag). */
  indexKey(userId: number): string {
    return `${this.prefix}{${this.prefix}u:${userId}}:sessions`;
  }

  /** Starts a session bound to the user row as it is now (see `SessionStore.create`); `UserNotFoundError` when none. */
  async create(userId: number): Promise<NewSession> {
    if (!Number.isSafeInteger(userId)) throw new ValidationError("A session needs a user id.", "userId");
    const token = generateSessionToken();
    const now = this.now().getTime();
    const expiry = now + this.expiry;
    const maxExpiry = now + this.maxExpiry;
    const db = await useDatabase(this.databaseOption);
    const password = await runTranslated(db, () => passwordOf(db.kysely, this.userTable, userId), { app: "user" });
    const digest = digestSessionToken(token);
    const value: StoredSession = { u: userId, e: expiry, m: maxExpiry, b: userBinding(token, userId, password) };
    await this.connection.run(async (client) => {
      // The index first: a session key without its index entry is dead, so a crash between the two
      // leaves a dead key (expiring on its own), never a session "log out everywhere" cannot reach.
      await client.eval(INDEX_ADD, 1, this.indexKey(userId), digest, expiry, now);
      await client.set(this.sessionKey(digest), JSON.stringify(value), "PX", expiry - now);
    });
    return { token, userId, expiryDate: new Date(expiry), maxExpiryDate: new Date(maxExpiry) };
  }

  /** The user id of a live session, or null (see `lookupFirst`). */
  async resolve(token: unknown): Promise<number | null> {
    return (await this.lookupFirst([token]))?.userId ?? null;
  }

  /** Like `resolve`, with the session's dates (after any extension). */
  async lookup(token: unknown): Promise<SessionInfo | null> {
    return this.lookupFirst([token]);
  }

  /**
   * The first of `tokens` naming a live session: its key and index entry exist, now is before both its
   * dates, and its user row still matches its binding (one query on the user table). Dead ones met are
   * deleted; the live one is extended as `SessionStore` does, its TTL moved with it.
   */
  async lookupFirst(tokens: readonly unknown[]): Promise<SessionInfo | null> {
    const digests = new Map<string, string>();
    for (const token of tokens) if (typeof token === "string" && TOKEN_PATTERN.test(token)) digests.set(digestSessionToken(token), token);
    if (digests.size === 0) return null;
    const entries = [...digests];
    const values = await this.connection.run((client) => Promise.all(entries.map(([digest]) => client.get(this.sessionKey(digest)))));
    const now = this.now().getTime();
    for (const [index, [digest, token]] of entries.entries()) {
      const raw = values[index];
      if (!raw) continue;
      const session = parseStored(raw);
      if (!session || !(now < session.e && now < session.m) || !(await this.bound(token, session)) || !(await this.indexed(session.u, digest))) {
        await this.drop(digest, session?.u);
        continue;
      }
      const info: SessionInfo = { id: idOf(digest), userId: session.u, expiryDate: new Date(session.e), maxExpiryDate: new Date(session.m) };
      if (this.extension > 0 && session.e - now < this.extension) {
        const extended = Math.min(session.e + this.extension, session.m);
        if (extended > session.e) {
          const next = JSON.stringify({ ...session, e: extended });
          const moved = await this.connection.run((client) => client.eval(SESSION_EXTEND, 1, this.sessionKey(digest), raw, next, extended - now));
          if (Number(moved) === 1) {
            await this.connection.run((client) => client.eval(INDEX_EXTEND, 1, this.indexKey(session.u), digest, extended, now, extended - now));
            info.expiryDate = new Date(extended);
          }
        }
      }
      return info;
    }
    return null;
  }

  /** Ends one session (logout). Unknown tokens are ignored. */
  async remove(token: unknown): Promise<void> {
    if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) return;
    const digest = digestSessionToken(token);
    const raw = await this.connection.run((client) => client.get(this.sessionKey(digest)));
    await this.drop(digest, raw ? parseStored(raw)?.u : undefined);
  }

  /** Ends every session of a user ("log out everywhere"): drops the user's index, then each key in it. Returns how many keys there were. */
  async removeAllForUser(userId: number): Promise<number> {
    return this.connection.run(async (client) => {
      const members = (await client.eval(INDEX_TAKE_ALL, 1, this.indexKey(userId))) as string[];
      const deleted = await Promise.all(members.map((digest) => client.del(this.sessionKey(digest))));
      return deleted.reduce((sum, count) => sum + count, 0);
    });
  }

  /** Nothing to do: every key expires on its own (kept for the `SessionStore` surface). Returns 0. */
  async removeExpired(): Promise<number> {
    return 0;
  }

  /** How many sessions a user has in the index (live or not yet pruned). */
  async countForUser(userId: number): Promise<number> {
    return this.connection.run((client) => client.zcard(this.indexKey(userId)));
  }

  private async bound(token: string, session: StoredSession): Promise<boolean> {
    const db = await useDatabase(this.databaseOption);
    const row = await runTranslated(
      db,
      () => db.kysely.selectFrom(this.userTable).select("password").where("id", "=", session.u).executeTakeFirst(),
      { app: "user" },
    );
    return bindingHolds(token, { user_id: session.u, user_binding: session.b, bound_password: row?.password ?? null });
  }

  private async indexed(userId: number, digest: string): Promise<boolean> {
    return (await this.connection.run((client) => client.zscore(this.indexKey(userId), digest))) !== null;
  }

  private async drop(digest: string, userId: number | undefined): Promise<void> {
    await this.connection.run(async (client) => {
      await client.del(this.sessionKey(digest));
      if (userId !== undefined) await client.zrem(this.indexKey(userId), digest);
    });
  }
}

function parseStored(raw: string): StoredSession | null {
  try {
    const value = JSON.parse(raw) as Partial<StoredSession>;
    if (!Number.isSafeInteger(value.u) || typeof value.e !== "number" || typeof value.m !== "number" || typeof value.b !== "string") return null;
    return value as StoredSession;
  } catch {
    return null;
  }
}

/** A stable number for `SessionInfo.id` (Redis sessions have no row id): the digest's first 48 bits. */
function idOf(digest: string): number {
  return Number.parseInt(digest.slice(0, 12), 16);
}
