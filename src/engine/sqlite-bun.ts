// bun:sqlite (Bun's built-in SQLite) in better-sqlite3's shape (sqlite-adapter.ts). Bun cannot load
// better-sqlite3's addon; its own driver reads and writes the same file format.
import { adaptStatement, type NativeStatement, type SqliteDatabase } from "./sqlite-adapter.js";

interface BunStatement extends NativeStatement {
  /** The result's column names: empty for a statement that returns no rows. */
  readonly columnNames: string[];
}

interface BunDatabase {
  prepare(source: string): BunStatement;
  close(): void;
}

type BunSqlite = { Database: new (filename: string, options: { create: boolean; readwrite: boolean; strict: boolean }) => BunDatabase };

const BUN_SQLITE = "bun:sqlite";

/** bun:sqlite's errors already carry better-sqlite3's `SQLITE_…` codes (`SQLITE_CONSTRAINT_UNIQUE`, …). */
const sameError = (error: unknown) => error;

/** Opens (creating) `filename` with bun:sqlite; throws the driver's error (with its SQLITE_… code) when it cannot. */
export async function openBunSqlite(filename: string): Promise<SqliteDatabase> {
  // A specifier in a variable: type-checking on Node knows no bun:sqlite, and a bundler leaves it alone.
  const { Database } = (await import(BUN_SQLITE)) as BunSqlite;
  const db = new Database(filename, { create: true, readwrite: true, strict: true });
  return {
    prepare(source) {
      const statement = db.prepare(source);
      return adaptStatement(statement, statement.columnNames.length > 0, sameError);
    },
    pragma: (source) => db.prepare(`PRAGMA ${source}`).all(),
    close: () => db.close(),
  };
}
