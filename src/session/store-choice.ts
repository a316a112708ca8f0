// Where SessionAuth keeps sessions and counts login attempts: `store.sessions` and `rateLimit` when given,
// else Redis when `store.redis` is set, else the database.
import type { Database } from "../engine/connect.js";
import { ConfigError } from "../errors.js";
import { RedisAttemptStore } from "./attempt-store-redis.js";
import type { StoreOptions } from "./options.js";
import { LoginRateLimiter } from "./rate-limit.js";
import { redisConnection } from "./redis-connection.js";
import { SessionStore } from "./store.js";
import { RedisSessionStore } from "./store-redis.js";
import type { SessionStorage } from "./store-types.js";

export function chooseStores(
  { store: options = {}, rateLimit }: { store?: StoreOptions; rateLimit?: LoginRateLimiter | false },
  database: string | Database | undefined,
  userTable: string,
): { store: SessionStorage; rateLimiter: LoginRateLimiter | null } {
  if (options.redis !== undefined && options.tokens === "piccolo") {
    // Python's piccolo_api reads sessions from the database's table only.
    throw new ConfigError('tokens: "piccolo" shares the database\'s sessions table with a Python app: it cannot be combined with redis.');
  }
  // One connection for both, so a URL opens one client.
  const redis = options.redis === undefined ? undefined : redisConnection(options.redis);
  const prefix = options.redisPrefix;
  const storeOptions = { ...options, database, userTable };
  const store =
    options.sessions ?? (redis ? new RedisSessionStore({ ...storeOptions, redis, ...(prefix !== undefined ? { prefix } : {}) }) : new SessionStore(storeOptions));
  const rateLimiter =
    rateLimit === false
      ? null
      : (rateLimit ??
        new LoginRateLimiter(
          redis ? { store: new RedisAttemptStore({ redis, ...(prefix !== undefined ? { prefix } : {}) }) } : { store: "database", database },
        ));
  return { store, rateLimiter };
}
