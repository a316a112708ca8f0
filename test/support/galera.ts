// The Galera cluster of scripts/galera.sh, as the cluster tests see it: one URL per node, the node's
// process (to kill it), and the script to bring a killed node back.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import mysql from "mysql2/promise";
import { galeraHosts } from "./engines.js";
import { root } from "./cli.js";

/** Database `name` through node `index` alone (0-based), as a single-host URL. */
export function nodeUrl(name: string, index: number): string {
  return `mysql://root@${galeraHosts[index]}/${name}`;
}

async function onNode<T>(index: number, work: (conn: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({ uri: `mysql://root@${galeraHosts[index]}/`, connectTimeout: 3000 });
  try {
    return await work(conn);
  } finally {
    await conn.end();
  }
}

/** A status variable of node `index`, summed over nodes when `index` is "all". */
export async function statusOf(index: number, name: string): Promise<string> {
  return onNode(index, async (conn) => {
    const [rows] = await conn.query("SHOW GLOBAL STATUS LIKE ?", [name]);
    return String((rows as Array<{ Value: string }>)[0]?.Value ?? "");
  });
}

/** The first column of the first row of `query` on node `index`. */
export async function statusQuery(index: number, query: string, values: unknown[] = []): Promise<string> {
  return onNode(index, async (conn) => {
    const [rows] = await conn.query(query, values);
    return String(Object.values((rows as Array<Record<string, unknown>>)[0] ?? {})[0] ?? "");
  });
}

/** The pid of node `index`'s mariadbd, as the server itself reports its pid file. */
export async function nodePid(index: number): Promise<number> {
  const file = await onNode(index, async (conn) => {
    const [rows] = await conn.query("SELECT @@pid_file AS file, @@datadir AS datadir");
    const row = (rows as Array<{ file: string; datadir: string }>)[0]!;
    return path.resolve(row.datadir, row.file);
  });
  const { readFileSync } = await import("node:fs");
  return Number(readFileSync(file, "utf8").trim());
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits until `pid` has gone (a SIGKILLed server takes a moment to release its memory). */
export async function waitForExit(pid: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} did not exit`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `scripts/galera.sh start`: starts what is not running and waits for a synced cluster of three. */
export async function startCluster(): Promise<void> {
  await promisify(execFile)(path.join(root, "scripts/galera.sh"), ["start"], { timeout: 240_000 });
}

/** The number of nodes every live node sees, per node (null: the node does not answer). */
export async function clusterSizes(): Promise<Array<number | null>> {
  return Promise.all(
    galeraHosts.map((_, index) => statusOf(index, "wsrep_cluster_size").then(Number, () => null)),
  );
}
