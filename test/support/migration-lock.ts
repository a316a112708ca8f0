// Holds piccolo-ts's migration lock from the test, the way the runner takes it (src/migrations/lock.ts:
// a PostgreSQL advisory lock, MySQL's GET_LOCK named after the database, SQLite's write lock), and asks
// the server — or, for SQLite, the kernel — who is waiting for it. A test that starts two migrating
// processes while holding it knows both were running at once, instead of hoping a shared start time
// lined them up.
import { readdirSync, readlinkSync } from "node:fs";
import pg from "pg";
import mysql from "mysql2/promise";
import Sqlite from "better-sqlite3";
import type { EngineName } from "./engines.js";

/** "piccolo" in ASCII as a bigint: the runner's advisory lock key. */
const POSTGRES_LOCK_KEY = "31641072982518895";

export interface HeldLock {
  /** How many other sessions (or, on SQLite, which of `pids`) wait for the lock now. */
  waiting(pids: number[]): Promise<number>;
  release(): Promise<void>;
}

function filesOpenBy(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return "";
      }
    });
  } catch {
    return [];
  }
}

export async function holdMigrationLock(engine: EngineName, url: string): Promise<HeldLock> {
  if (engine === "postgres") {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("BEGIN");
    await client.query(`SELECT pg_advisory_xact_lock(${POSTGRES_LOCK_KEY}::bigint)`);
    return {
      async waiting() {
        const { rows } = await client.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        );
        return Number(rows[0]!.n);
      },
      async release() {
        await client.query("COMMIT");
        await client.end();
      },
    };
  }
  if (engine === "mysql") {
    const connection = await mysql.createConnection({ uri: url });
    const name = "CONCAT('piccolo_migrations_', MD5(DATABASE()))";
    await connection.query(`SELECT GET_LOCK(${name}, 10)`);
    return {
      async waiting() {
        const [rows] = await connection.query(
          "SELECT count(*) AS n FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND state = 'User lock'",
        );
        return Number((rows as { n: number }[])[0]!.n);
      },
      async release() {
        await connection.query(`SELECT RELEASE_LOCK(${name})`);
        await connection.end();
      },
    };
  }
  // SQLite: a process that has opened the file is one statement from BEGIN IMMEDIATE, which waits for us
  // (the runner opens the file for its first locked transaction, and does nothing else in between).
  const file = url.replace(/^sqlite:/, "");
  const db = new Sqlite(file);
  db.exec("BEGIN IMMEDIATE");
  return {
    async waiting(pids) {
      return pids.filter((pid) => filesOpenBy(pid).includes(file)).length;
    },
    async release() {
      db.exec("COMMIT");
      db.close();
    },
  };
}
