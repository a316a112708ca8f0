import type { Kysely } from "kysely";
import type { Database } from "./connect.js";
import { isRetryableConflict } from "./database-errors.js";
import { inTransaction } from "./dialects/transaction.js";

const ATTEMPTS = 3;

/**
 * Runs `work` in one write transaction on one connection: a check and the write it guards (the last
 * superuser, a delete with its sessions) see and change the same state. SQLite takes its write lock at
 * BEGIN; PostgreSQL and MySQL callers lock the rows they read with `forUpdate` where the dialect has it.
 * A transaction that lost to a concurrent one (deadlock, serialization or Galera certification
 * failure) was rolled back whole, so it is run again, up to three times in all.
 */
export async function withWriteTransaction<T>(database: Database, work: (db: Kysely<any>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await database.kysely
        .connection()
        .execute((db) => inTransaction(db, database.dialect.beginWrite(), () => work(db)));
    } catch (error) {
      if (attempt >= ATTEMPTS || !isRetryableConflict(error)) throw error;
    }
  }
}
