import type { Kysely } from "kysely";
import type { Database } from "./connect.js";
import { inTransaction } from "./dialects/transaction.js";

/**
 * Runs `work` in one write transaction on one connection: a check and the write it guards (the last
 * superuser, a delete with its sessions) see and change the same state. SQLite takes its write lock at
 * BEGIN; PostgreSQL and MySQL callers lock the rows they read with `forUpdate` where the dialect has it.
 */
export function withWriteTransaction<T>(database: Database, work: (db: Kysely<any>) => Promise<T>): Promise<T> {
  return database.kysely.connection().execute((db) => inTransaction(db, database.dialect.beginWrite(), () => work(db)));
}
