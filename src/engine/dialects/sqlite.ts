import { closeSync, existsSync, openSync } from "node:fs";
import { sqliteConnectionCause } from "../connection-causes.js";
import { sql, SqliteDialect } from "../kysely.js";
import { ConfigError, DatabaseConnectionError } from "../../errors.js";
import { applySqliteOptions, reusePreparedStatements } from "../sqlite-options.js";
import { loadDriver } from "./driver.js";
import { inTransaction } from "./transaction.js";
import { codeOf, type EngineDialect } from "./types.js";

/** A new database file holds password hashes: only its owner may read it. */
function createPrivateFile(filename: string): void {
  if (filename === ":memory:" || existsSync(filename)) return;
  try {
    closeSync(openSync(filename, "a", 0o600));
  } catch {
    // The open below reports why the file cannot be made (e.g. its folder does not exist).
  }
}

export const sqliteDialect: EngineDialect = {
  name: "sqlite",

  createKyselyDialect(target) {
    const BetterSqlite3 = loadDriver<typeof import("better-sqlite3")>("better-sqlite3");
    const filename = target.filename ?? target.url;
    return new SqliteDialect({
      database: async () => {
        try {
          createPrivateFile(filename);
          const db = new BetterSqlite3(filename, { timeout: 15_000 });
          db.pragma("foreign_keys = ON");
          applySqliteOptions(db, target.sqlite);
          return reusePreparedStatements(db);
        } catch (error) {
          // better-sqlite3 loads its native addon on first open, not on import.
          if (/bindings file|better_sqlite3\.node/.test((error as Error).message)) {
            throw new ConfigError(
              'The SQLite driver\'s native module is not built for this Node.js: run "npm rebuild better-sqlite3".',
              { cause: error },
            );
          }
          // e.g. "Cannot open database because the directory does not exist"
          throw new DatabaseConnectionError(target.displayUrl, (error as Error).message, { cause: error });
        }
      },
    });
  },

  booleanToDatabase: (value) => (value ? 1 : 0),
  // A rowid alias without AUTOINCREMENT, as Piccolo declares Serial on SQLite.
  addIdColumn: (builder) => builder.addColumn("id", sql.raw("INTEGER"), (c) => c.primaryKey().notNull()),
  varcharType: (length) => sql.raw(`VARCHAR(${Math.trunc(length)})`),
  timestampType: () => sql.raw("TIMESTAMP"),
  currentTimestamp: () => sql`CURRENT_TIMESTAMP`,
  // Declared types as Piccolo writes them: its SQLite engine picks its converters by these names.
  timestamptzType: () => sql.raw("TIMESTAMPTZ"),
  arrayType: (element) => ({ type: sql.raw(element === "text" ? "ARRAY" : "ARRAY_TIMESTAMPTZ"), emptyDefault: sql`'[]'` }),
  utcOffsetSuffix: "+00:00",
  arraysAsJson: true,
  withTableOptions: (builder) => builder,
  transactionalDdl: true,
  // No CASCADE clause: which is why Piccolo cannot reverse its first user migration on SQLite.
  dropTableCascades: false,
  supportsForUpdate: false,
  upsertReturning: true,
  indexNamesPerTable: false,

  async insertReturningId(insert) {
    return Number((await insert.returning("id").executeTakeFirstOrThrow()).id);
  },
  beginWrite: () => sql`BEGIN IMMEDIATE`,
  // One writer at a time: BEGIN IMMEDIATE takes the file's write lock; others wait for the busy timeout.
  withMigrationLock: (db, work) => inTransaction(db, sql`BEGIN IMMEDIATE`, work),

  connectionErrorCodes: new Set(["SQLITE_CANTOPEN", "SQLITE_NOTADB"]),
  uniqueViolationColumn(error) {
    const code = codeOf(error);
    if (code !== "SQLITE_CONSTRAINT_UNIQUE" && code !== "SQLITE_CONSTRAINT_PRIMARYKEY") return null;
    return /UNIQUE constraint failed: [^.]+\.(\w+)/.exec(error.message ?? "")?.[1] ?? "";
  },
  missingTableName(error) {
    const match = /no such table: (?:main\.)?(\S+)/.exec(error.message ?? "");
    return match ? (match[1] ?? "") : null;
  },
  connectionCause: sqliteConnectionCause,
  // SQLITE_BUSY comes only after the busy timeout has been waited out: trying again would wait as long.
  isRetryableConflict: () => false,
};
