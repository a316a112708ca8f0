// Where the HTTP load figures keep sessions and login attempts. "database" is the default of
// createSessionAuth; "redis" needs a Redis store in the build (issue 24's Redis storage): this is
// the one place that knows how to ask for it. Until then it returns null and the figure is skipped
// with a printed note.

/**
 * The createSessionAuth options that put sessions and login attempts in Redis at `url`, or null when
 * this build has no Redis store.
 */
export async function redisSessionOptions(pkg, url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379") {
  // The Redis helper's store plugs in here, e.g. `if (pkg.createRedisStorage) return { redis: url };`.
  if (typeof pkg.createRedisStorage === "function") return { redis: url };
  return null;
}
