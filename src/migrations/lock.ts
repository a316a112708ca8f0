import type { Kysely } from "kysely";
import type { Database } from "../engine/connect.js";

/**
 * Runs `work` on a single connection inside a transaction, holding the database-wide migration lock,
 * so that processes migrating at the same moment take turns and each re-checks what ran before it
 * acts. Each engine's lock is its dialect's (`withMigrationLock` in src/engine/dialects/).
 */
export async function withMigrationLock<T>(database: Database, work: (db: Kysely<any>) => Promise<T>): Promise<T> {
  return database.kysely.connection().execute((db) => database.dialect.withMigrationLock(db, () => work(db)));
}
