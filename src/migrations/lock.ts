import type { Kysely, RawBuilder } from "kysely";
import { sql } from "../engine/kysely.js";
import type { Database } from "../engine/connect.js";
import { MigrationError } from "../errors.js";
import { isGaleraSession, withClusterLock } from "./cluster-lock.js";

/** "piccolo" in ASCII, as a bigint: the PostgreSQL advisory lock key of piccolo-ts migrations. */
const POSTGRES_LOCK_KEY = "31641072982518895";
const MYSQL_LOCK_SECONDS = 60;

/**
 * Runs `work` on a single connection inside a transaction, holding the database-wide migration lock,
 * so that processes migrating at the same moment take turns and each re-checks what ran before it
 * acts. PostgreSQL: a transaction-level advisory lock (released by COMMIT/ROLLBACK). SQLite:
 * BEGIN IMMEDIATE (one writer; others wait for the driver's busy timeout). MySQL: a named GET_LOCK
 * for this database (released at the end, or by the server when the connection dies).
 */
export async function withMigrationLock<T>(database: Database, work: (db: Kysely<any>) => Promise<T>): Promise<T> {
  return database.kysely.connection().execute(async (db) => {
    switch (database.engine) {
      case "postgres":
        return inTransaction(db, sql`BEGIN`, async () => {
          await sql`SELECT pg_advisory_xact_lock(${POSTGRES_LOCK_KEY}::bigint)`.execute(db);
          return work(db);
        });
      case "sqlite":
        return inTransaction(db, sql`BEGIN IMMEDIATE`, () => work(db));
      case "mysql": {
        const run = () => inTransaction(db, sql`START TRANSACTION`, () => work(db));
        // GET_LOCK is node-local on Galera: there the lock is a row every node agrees on.
        if (await isGaleraSession(db)) return withClusterLock(db, database.kysely, run);
        return withMysqlLock(db, run);
      }
    }
  });
}

async function inTransaction<T>(db: Kysely<any>, begin: RawBuilder<unknown>, work: () => Promise<T>): Promise<T> {
  await begin.execute(db);
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await sql`ROLLBACK`.execute(db).catch(() => {}); // the original error is the one worth reporting
    throw error;
  }
  await sql`COMMIT`.execute(db);
  return result;
}

async function withMysqlLock<T>(db: Kysely<any>, work: () => Promise<T>): Promise<T> {
  // Lock names are server-wide: qualify by database (hashed, as names are limited to 64 characters).
  const name = sql`CONCAT('piccolo_migrations_', MD5(DATABASE()))`;
  const { rows } = await sql<{ locked: number | null }>`SELECT GET_LOCK(${name}, ${MYSQL_LOCK_SECONDS}) AS locked`.execute(db);
  if (Number(rows[0]?.locked) !== 1) {
    throw new MigrationError(
      `Another process has been running migrations on this database for over ${MYSQL_LOCK_SECONDS} seconds; try again later.`,
    );
  }
  try {
    return await work();
  } finally {
    await sql`SELECT RELEASE_LOCK(${name})`.execute(db).catch(() => {});
  }
}
