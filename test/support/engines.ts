// Test databases: each call to freshDatabaseUrl() makes a new, empty database on the real server
// (named after the test run, dropped by scripts/run-tests.mjs at the end) or a new SQLite file.
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
    const url = new URL(pgAdmin);
    url.pathname = `/${name}`;
    return url.toString();
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
