// Test databases: each call to freshDatabaseUrl() makes a new, empty database on the real server
// (named after the test run, dropped by scripts/run-tests.mjs at the end) or a new SQLite file.
// In the cluster variants (PICCOLO_TEST_VARIANT, set by scripts/run-tests.mjs) the same engines are reached
// another way: "pgbouncer" hands out URLs through PgBouncer (the database is made on the real server),
// "galera" makes the database on the Galera cluster and hands out its multi-host URL.
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import mysql from "mysql2/promise";

export type EngineName = "sqlite" | "postgres" | "mysql";

const runId = process.env.PICCOLO_TEST_RUN_ID ?? `pt_local_${randomBytes(3).toString("hex")}`;
const pgAdmin = process.env.TEST_POSTGRES_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const myAdmin = process.env.TEST_MYSQL_ADMIN_URL ?? "mysql://root@127.0.0.1:3306/test";

/** The cluster variant this run covers, if any: the tests see the same engine names either way. */
export type TestVariant = "pgbouncer" | "galera";
export const testVariant: TestVariant | undefined =
  process.env.PICCOLO_TEST_VARIANT === "pgbouncer" || process.env.PICCOLO_TEST_VARIANT === "galera"
    ? process.env.PICCOLO_TEST_VARIANT
    : undefined;
const pgbouncerUrl = process.env.TEST_PGBOUNCER_URL ?? "postgres://postgres@127.0.0.1:6432/postgres";
/** The Galera nodes as host:port, in order (node 1 first). */
export const galeraHosts: string[] = (process.env.TEST_GALERA_HOSTS ?? "127.0.0.1:3311,127.0.0.1:3312,127.0.0.1:3313")
  .split(",")
  .map((s) => s.trim());

/** The engines this run covers (set by scripts/run-tests.mjs; all three by default). */
export const testEngines: EngineName[] = (process.env.PICCOLO_TEST_ENGINES ?? "sqlite,postgres,mysql")
  .split(",")
  .map((s) => s.trim())
  .filter((s): s is EngineName => s === "sqlite" || s === "postgres" || s === "mysql");

let counter = 0;
function uniqueName(): string {
  return `${runId}_${process.pid}_${++counter}_${randomBytes(2).toString("hex")}`.toLowerCase();
}

/** A temporary folder for this test process (SQLite files, CLI working directories). */
export function tempDir(): string {
  const dir = path.join(tmpdir(), "piccolo-ts-tests", runId, uniqueName());
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A new, empty database on `engine`, as a URL piccolo-ts understands. */
export async function freshDatabaseUrl(engine: EngineName): Promise<string> {
  const name = uniqueName();
  if (engine === "sqlite") return `sqlite:${path.join(tempDir(), "piccolo.sqlite")}`;
  if (engine === "postgres") {
    const client = new pg.Client({ connectionString: pgAdmin });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } finally {
      await client.end();
    }
    const url = new URL(testVariant === "pgbouncer" ? pgbouncerUrl : pgAdmin);
    url.pathname = `/${name}`;
    return url.toString();
  }
  if (testVariant === "galera") {
    await createGaleraDatabase(name);
    return galeraUrl(name);
  }
  const conn = await mysql.createConnection({ uri: myAdmin });
  try {
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } finally {
    await conn.end();
  }
  const url = new URL(myAdmin);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The multi-host URL of database `name` on the Galera cluster (every node, or the ones listed by index). */
export function galeraUrl(name: string, nodes: number[] = galeraHosts.map((_, i) => i)): string {
  return `mysql://root@${nodes.map((i) => galeraHosts[i]).join(",")}/${name}`;
}

/** The database's name in a URL made by freshDatabaseUrl (either form). */
export function databaseNameOf(url: string): string {
  return url.slice(url.lastIndexOf("/") + 1).split("?")[0]!;
}

async function createGaleraDatabase(name: string): Promise<void> {
  // Any node will do (DDL is replicated to all before it returns); take the first that answers.
  let lastError: unknown;
  for (const hostPort of galeraHosts) {
    try {
      const conn = await mysql.createConnection({ uri: `mysql://root@${hostPort}/`, connectTimeout: 3000 });
      try {
        await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
        return;
      } finally {
        await conn.end();
      }
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
