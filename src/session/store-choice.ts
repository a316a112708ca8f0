// Where SessionAuth keeps sessions and counts login attempts: the `store`/`rateLimiter` given, else
// Redis when `redis` is set, else the database.
import type { Database } from "../engine/connect.js";
import { ConfigError } from "../errors.js";
import { RedisAttemptStore } from "./attempt-store-redis.js";
import type { SessionAuthOptions } from "./options.js";
import { LoginRateLimiter } from "./rate-limit.js";
import { redisConnection } from "./redis-connection.js";
import { SessionStore } from "./store.js";
import { RedisSessionStore } from "./store-redis.js";
import type { SessionStorage } from "./store-types.js";

export function chooseStores(
  options: SessionAuthOptions,
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
    options.store ?? (redis ? new RedisSessionStore({ ...storeOptions, redis, ...(prefix !== undefined ? { prefix } : {}) }) : new SessionStore(storeOptions));
  const rateLimiter =
    options.rateLimiter === false
      ? null
      : (options.rateLimiter ??
        new LoginRateLimiter(
          redis ? { store: new RedisAttemptStore({ redis, ...(prefix !== undefined ? { prefix } : {}) }) } : { store: "database", database },
        ));
  return { store, rateLimiter };
}
