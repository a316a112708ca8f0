// One Redis connection (a single server or a Redis Cluster) shared by the Redis session store and the
// Redis attempt store. Startup failures name the URL (password masked); failures once running (a
// primary failing over, a timeout) become StoreUnavailableError, which the session layer answers with
// 503 and Retry-After, never 500 and never a login let through uncounted.
import { createRequire } from "node:module";
import type { Cluster, Redis } from "ioredis";
import { maskPassword } from "../engine/config.js";
import { ConfigError, DatabaseConnectionError, StoreUnavailableError } from "../errors.js";

/** ioredis, loaded when the first connection is made: apps without Redis never load it. */
function ioredis(): typeof import("ioredis") {
  return createRequire(import.meta.url)("ioredis") as typeof import("ioredis");
}

/** A Redis client as ioredis gives it: one server or a cluster. */
export type RedisClient = Redis | Cluster;

/** How long one command may take before the request is answered 503 (ms). */
const COMMAND_TIMEOUT = 3_000;
/** How long the first connection may take before startup fails (ms). */
const STARTUP_TIMEOUT = 5_000;

interface ParsedRedisUrl {
  cluster: boolean;
  tls: boolean;
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  db: number;
}

/**
 * Reads `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS) and
 * `redis+cluster://[user:password@]host:port[,host:port…]` (a Redis Cluster: any of its nodes).
 */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  const display = maskPassword(url);
  const match = /^(redis|rediss|redis\+cluster|rediss\+cluster):\/\/(?:([^@/]*)@)?([^/?#]+)(?:\/(\d*))?$/i.exec(url.trim());
  if (!match) {
    throw new ConfigError(`"${display}" is not a Redis URL: use redis://host:6379, rediss://host:6380 or redis+cluster://host1:7001,host2:7002.`);
  }
  const scheme = match[1]!.toLowerCase();
  const [user, password] = (match[2] ?? "").split(/:(.*)/s) as [string, string | undefined];
  const nodes = match[3]!.split(",").map((hostPort) => {
    const part = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(hostPort);
    if (!part) throw new ConfigError(`"${display}" names a host that is not host[:port].`);
    return { host: part[1]!.replace(/^\[|\]$/g, ""), port: Number(part[2] ?? 6379) };
  });
  const cluster = scheme.endsWith("+cluster");
  if (!cluster && nodes.length > 1) throw new ConfigError(`"${display}" lists several hosts: use redis+cluster:// for a Redis Cluster.`);
  return {
    cluster,
    tls: scheme.startsWith("rediss"),
    nodes,
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
    db: Number(match[4] || 0),
  };
}

/**
 * A Redis server or cluster, connected on first use (or by `connect()`, which fails at once when it
 * does not answer). Pass one to `createSessionAuth({ store: { redis } })` to share it, or a URL string.
 *
 * @example
 * ```ts
 * const redis = await RedisConnection.connect(process.env.PICCOLO_REDIS_URL ?? "redis://127.0.0.1:6379");
 * const auth = createSessionAuth({ store: { redis } });
 * ```
 */
export class RedisConnection {
  /** The URL with its password masked, for messages. */
  readonly url: string;
  /** The ioredis client (a `Redis` or a `Cluster`). */
  readonly client: RedisClient;
  /** True for a Redis Cluster. */
  readonly cluster: boolean;
  /** True once `close()` was called (stores on it stop hearing of ended sessions). */
  closed = false;
  private ready: Promise<void> | null = null;
  /** The client's latest connection error (e.g. ECONNREFUSED), which says more than "Connection is closed". */
  private lastError: Error | undefined;

  constructor(url: string) {
    const parsed = parseRedisUrl(url);
    this.url = maskPassword(url);
    this.cluster = parsed.cluster;
    const common = {
      lazyConnect: true,
      connectTimeout: 2_000,
      commandTimeout: COMMAND_TIMEOUT,
      maxRetriesPerRequest: 2,
      ...(parsed.username ? { username: parsed.username } : {}),
      ...(parsed.password ? { password: parsed.password } : {}),
      ...(parsed.tls ? { tls: {} } : {}),
    };
    const { Cluster, Redis } = ioredis();
    this.client = parsed.cluster
      ? new Cluster(parsed.nodes, {
          lazyConnect: true,
          redisOptions: common,
          // A failing-over primary: retry briefly on the refreshed slot map rather than fail at once.
          retryDelayOnFailover: 200,
          retryDelayOnClusterDown: 200,
          retryDelayOnTryAgain: 100,
          maxRedirections: 16,
          slotsRefreshTimeout: 2_000,
          clusterRetryStrategy: (times) => Math.min(100 * times, 1_000),
        })
      : new Redis({ ...common, host: parsed.nodes[0]!.host, port: parsed.nodes[0]!.port, db: parsed.db });
    // Errors reach the caller of each command; the client's own event would otherwise be unhandled.
    this.client.on("error", (error: Error) => {
      this.lastError = error;
    });
  }

  /**
   * Connects now; `DatabaseConnectionError` naming the URL (password masked) when Redis does not answer.
   *
   * @example
   * ```ts
   * const redis = await RedisConnection.connect("redis://:s3cret@127.0.0.1:6379"); // fails fast when down
   * ```
   */
  static async connect(url: string): Promise<RedisConnection> {
    const connection = new RedisConnection(url);
    await connection.ensureConnected();
    return connection;
  }

  /** Connects once (the first call); later calls wait for the same attempt. */
  ensureConnected(): Promise<void> {
    this.ready ??= this.firstPing().catch((error: unknown) => {
      this.ready = null;
      this.client.disconnect();
      const reason = this.lastError ?? error;
      const detail = reason instanceof Error && reason.message ? reason.message.replace(/\.$/, "") : "no answer";
      throw Object.assign(new DatabaseConnectionError(this.url, `Redis did not answer (${detail}).`, { cause: reason }), {
        advice: "Check that Redis is running and that --redis or PICCOLO_REDIS_URL points at it.",
      });
    });
    return this.ready;
  }

  /**
   * Runs commands once connected; a failure of Redis itself becomes `StoreUnavailableError` (503 and
   * Retry-After for the request that met it).
   */
  async run<T>(work: (client: RedisClient) => Promise<T>): Promise<T> {
    await this.ensureConnected();
    try {
      return await work(this.client);
    } catch (error) {
      throw new StoreUnavailableError(this.url, 2, { cause: error });
    }
  }

  /**
   * Closes the connection.
   *
   * @example
   * ```ts
   * await redis.close();
   * ```
   */
  async close(): Promise<void> {
    this.closed = true;
    this.ready = null;
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private async firstPing(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${STARTUP_TIMEOUT / 1000} s`)), STARTUP_TIMEOUT);
    });
    try {
      // "end": a failed earlier start (or close) left it disconnected; connect again.
      if (this.client.status === "wait" || this.client.status === "end") await Promise.race([this.client.connect(), timeout]);
      await Promise.race([this.client.ping(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A shared connection for a URL, or the connection given. */
export function redisConnection(redis: string | RedisConnection): RedisConnection {
  return typeof redis === "string" ? new RedisConnection(redis) : redis;
}

/** A key prefix: letters, digits and `:_.-` only (a `{` would change the keys' hash slots). */
export function checkedPrefix(prefix: string | undefined): string {
  const value = prefix ?? "piccolo:";
  if (!/^[A-Za-z0-9:_.-]{0,64}$/.test(value)) {
    throw new ConfigError("A Redis key prefix may hold only letters, digits and :_.- (at most 64 characters).");
  }
  return value;
}
