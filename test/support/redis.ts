// The Redis servers the Redis tests run against: the single Redis (6379) and the Redis Cluster
// (scripts/redis-cluster.sh, 7001-7006). Outside CI a Redis that does not answer is skipped with a
// message; on CI (CI=true) it fails the run. Every test gets its own key prefix.
import { randomBytes } from "node:crypto";
import { Cluster, Redis } from "ioredis";
import { RedisConnection } from "piccolo-ts/session";

export interface RedisTarget {
  name: "single" | "cluster";
  url: string;
}

export const redisTargets: RedisTarget[] = [
  { name: "single", url: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379" },
  { name: "cluster", url: process.env.TEST_REDIS_CLUSTER_URL ?? "redis+cluster://127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003" },
];

const onCi = process.env.CI === "true";

/** The reason to skip this target (outside CI), or undefined when it answers. On CI a missing Redis throws. */
export async function redisUnavailable(target: RedisTarget): Promise<string | undefined> {
  const connection = new RedisConnection(target.url);
  try {
    await connection.ensureConnected();
    if (connection.cluster) {
      const info = String(await connection.client.call("CLUSTER", "INFO"));
      if (!/cluster_state:ok/.test(info)) throw new Error("cluster_state is not ok");
    }
    return undefined;
  } catch (error) {
    const reason = `no ${target.name} Redis at ${target.url} (${(error as Error).message}): run scripts/redis-cluster.sh start / start redis-server`;
    if (onCi) throw new Error(reason);
    return reason;
  } finally {
    await connection.close();
  }
}

/** A key prefix of its own for one test (letters, digits and `:`). */
export function testPrefix(): string {
  return `pt${Date.now().toString(36)}${randomBytes(4).toString("hex")}:`;
}

/** Every key under `prefix`, on every primary (a SCAN per node). */
export async function keysUnder(client: Redis | Cluster, prefix: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes("master") : [client];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, found] = await node.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== "0");
  }
  return keys;
}
