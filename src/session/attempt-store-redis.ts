import { fullRule, type AttemptStore, type LimitedBucket, type TakeResult } from "./attempt-store.js";
import { checkedPrefix, redisConnection, type RedisClient, type RedisConnection } from "./redis-connection.js";

// One attempt, all its buckets, in one script (Redis runs a script alone: atomic). Per bucket, a hash
// {a: attempts, s: window start, e: window end} with a TTL equal to what is left of its window. The
// policy is attempt-store.ts's refusedUntil and nextAllowedOffset, line for line; a refusal gives back
// what the buckets before it took, and counts nothing itself.
const TAKE = `
local now = tonumber(ARGV[1])
local starts = {}
for i, key in ipairs(KEYS) do
  local base = 1 + (i - 1) * 4
  local max, window, free, step = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3]), tonumber(ARGV[base + 4])
  local row = redis.call('HMGET', key, 'a', 's', 'e')
  local attempts, start, ends = tonumber(row[1]), tonumber(row[2]), tonumber(row[3])
  if attempts == nil or start == nil or ends == nil or ends <= now then
    attempts, start, ends = 0, now, now + window
  end
  local offset
  if attempts >= max then offset = window
  elseif attempts < free then offset = 0
  else
    local k = attempts + 1 - free
    offset = math.min(window, step * k * (k + 1) / 2)
  end
  local allowed_at = start + offset
  if offset > 0 and now < allowed_at then
    for j = 1, i - 1 do
      local a = tonumber(redis.call('HGET', KEYS[j], 'a'))
      if a ~= nil and a > 0 then redis.call('HINCRBY', KEYS[j], 'a', -1) end
    end
    return {0, math.max(1, math.min(allowed_at, ends) - now)}
  end
  redis.call('HSET', key, 'a', attempts + 1, 's', start, 'e', ends)
  redis.call('PEXPIRE', key, ends - now)
  starts[i] = start
end
local answer = {1}
for i = 1, #starts do answer[i + 1] = starts[i] end
return answer
`;

// Gives back one attempt per bucket, only in the window it was taken in (a new window owes nothing).
const REFUND = `
for i, key in ipairs(KEYS) do
  local row = redis.call('HMGET', key, 'a', 's')
  local a = tonumber(row[1])
  if a ~= nil and a > 0 and tonumber(row[2]) == tonumber(ARGV[i]) then redis.call('HINCRBY', key, 'a', -1) end
end
return 1
`;

/** Options of `RedisAttemptStore`. */
export interface RedisAttemptStoreOptions {
  /** The Redis (URL or shared `RedisConnection`): `redis://host:6379`, `redis+cluster://host:7001,host:7002`. */
  redis: string | RedisConnection;
  /** Prefix of every key (default `piccolo:`): several apps or test runs can share one Redis. */
  prefix?: string;
}

type ScriptClient = RedisClient & {
  piccoloTake(keys: number, ...args: (string | number)[]): Promise<number[]>;
  piccoloRefund(keys: number, ...args: (string | number)[]): Promise<number>;
};

/**
 * Counts login attempts in Redis: every process and machine on that Redis shares one count, with the
 * same policy and numbers as `DatabaseAttemptStore`. One Lua script per attempt counts (or refuses) all
 * its buckets at once, and each counter's key expires with its window, so nothing outlives its use. On
 * a Redis Cluster every counter of one store shares the hash tag `{<prefix>limits}`, so an attempt's
 * buckets (which other attempts share: the address, the username) are always in one slot; one primary
 * counts them (a few operations per login, far below what one Redis node does).
 *
 * @example
 * ```ts
 * const limiter = new LoginRateLimiter({ store: new RedisAttemptStore({ redis: "redis://127.0.0.1:6379" }) });
 * ```
 */
export class RedisAttemptStore implements AttemptStore {
  /** The connection the counters are kept on. */
  readonly connection: RedisConnection;
  /** Prefix of every key. */
  readonly prefix: string;
  private defined = false;

  constructor(options: RedisAttemptStoreOptions) {
    this.connection = redisConnection(options.redis);
    this.prefix = checkedPrefix(options.prefix);
  }

  /** The Redis key counting a bucket (all of one store's keys share a hash tag). */
  keyOf(bucket: string): string {
    return `${this.prefix}{${this.prefix}limits}:${bucket}`;
  }

  /**
   * Counts one attempt in each bucket at time `now` (ms), or refuses with the wait and counts none.
   *
   * @example
   * ```ts
   * const result = await store.take([[LoginRateLimiter.usernameKey("bob"), { max: 5, window: 60_000 }]], Date.now());
   * ```
   */
  async take(buckets: readonly LimitedBucket[], now: number): Promise<TakeResult> {
    const args: (string | number)[] = [Math.floor(now)];
    for (const [, rule] of buckets) {
      const full = fullRule(rule);
      args.push(full.max, full.window, full.free, full.step);
    }
    const keys = buckets.map(([bucket]) => this.keyOf(bucket));
    const answer = await this.connection.run((client) => this.scripts(client).piccoloTake(keys.length, ...keys, ...args));
    if (answer[0] !== 1) return { allowed: false, retryAfterMs: Number(answer[1]) };
    return { allowed: true, windowStarts: answer.slice(1).map(Number) };
  }

  /**
   * Gives back one attempt taken in the windows that opened at `windowStarts` (a successful login).
   *
   * @example
   * ```ts
   * if (result.allowed) await store.refund([LoginRateLimiter.usernameKey("bob")], result.windowStarts);
   * ```
   */
  async refund(buckets: readonly string[], windowStarts: readonly number[]): Promise<void> {
    if (buckets.length === 0) return;
    const keys = buckets.map((bucket) => this.keyOf(bucket));
    await this.connection.run((client) => this.scripts(client).piccoloRefund(keys.length, ...keys, ...windowStarts.map(String)));
  }

  /**
   * Forgets every count of this store's prefix (tests, or an operator after an incident).
   *
   * @example
   * ```ts
   * await store.clear();
   * ```
   */
  async clear(): Promise<void> {
    await this.connection.run(async (client) => {
      const pattern = `${this.prefix}{${this.prefix}limits}:*`;
      // Every key is in the tag's one slot: scanning the node that holds it finds them all.
      const node = "nodes" in client && typeof client.nodes === "function" && this.connection.cluster ? await this.slotNode(client) : client;
      let cursor = "0";
      do {
        const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 500);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== "0");
    });
  }

  private async slotNode(client: RedisClient): Promise<RedisClient> {
    const cluster = client as import("ioredis").Cluster;
    const probe = this.keyOf("probe");
    const slot = Number(await cluster.call("CLUSTER", "KEYSLOT", probe));
    const slots = (cluster as unknown as { slots: string[][] }).slots[slot];
    const node = slots?.[0] ? cluster.nodes("master").find((candidate) => `${candidate.options.host}:${candidate.options.port}` === slots[0]) : undefined;
    return node ?? cluster.nodes("master")[0]!;
  }

  private scripts(client: RedisClient): ScriptClient {
    if (!this.defined) {
      // defineCommand sends EVALSHA, and the script itself once per node that does not know it yet.
      client.defineCommand("piccoloTake", { lua: TAKE });
      client.defineCommand("piccoloRefund", { lua: REFUND });
      this.defined = true;
    }
    return client as ScriptClient;
  }
}
