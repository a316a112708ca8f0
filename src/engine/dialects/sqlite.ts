import { closeSync, existsSync, openSync } from "node:fs";
import { sqliteConnectionCause } from "../connection-causes.js";
import { sql, SqliteDialect } from "kysely";
import { ConfigError, DatabaseConnectionError } from "../../errors.js";
import { applySqliteOptions, reusePreparedStatements } from "../sqlite-options.js";
import { currentRuntime, runtimeLabel } from "../runtime.js";
import type { SqliteDatabase } from "../sqlite-adapter.js";
import { openBunSqlite } from "../sqlite-bun.js";
import { openNodeSqlite } from "../sqlite-node.js";
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

/** The SQLite drivers piccolo-ts speaks: better-sqlite3 (an npm addon) and the runtimes' built-in ones. */
export type SqliteDriverName = "better-sqlite3" | "bun:sqlite" | "node:sqlite";

/** Chooses the SQLite driver: PICCOLO_SQLITE_DRIVER when set, else the one of this runtime. */
export const SQLITE_DRIVER_VARIABLE = "PICCOLO_SQLITE_DRIVER";
const DRIVERS: readonly SqliteDriverName[] = ["better-sqlite3", "bun:sqlite", "node:sqlite"];
/** Each runtime's own: Bun and Deno cannot load better-sqlite3's addon; on Node it stays the default. */
const RUNTIME_DRIVER = { node: "better-sqlite3", bun: "bun:sqlite", deno: "node:sqlite" } as const;

/** The SQLite driver this process uses (the same file format, migrations and behaviour on each). */
export function sqliteDriverName(): SqliteDriverName {
  const chosen = process.env[SQLITE_DRIVER_VARIABLE];
  if (!chosen) return RUNTIME_DRIVER[currentRuntime().name];
  if (!(DRIVERS as readonly string[]).includes(chosen)) {
    throw new ConfigError(`${SQLITE_DRIVER_VARIABLE} must be one of ${DRIVERS.join(", ")}, not "${chosen}".`);
  }
  return chosen as SqliteDriverName;
}

/** Opens the file with the chosen driver, its busy timeout set (15 s: a writer waits for another, not fails). */
async function openSqlite(driver: SqliteDriverName, filename: string): Promise<SqliteDatabase> {
  if (driver === "better-sqlite3") {
    const BetterSqlite3 = await loadDriver<typeof import("better-sqlite3")>("better-sqlite3");
    return new BetterSqlite3(filename, { timeout: 15_000 }) as unknown as SqliteDatabase;
  }
  const db = driver === "bun:sqlite" ? await openBunSqlite(filename) : await openNodeSqlite(filename);
  db.pragma("busy_timeout = 15000");
  return db;
}

export const sqliteDialect: EngineDialect = {
  name: "sqlite",
  driverName: sqliteDriverName,

  async createKyselyDialect(target) {
    const driver = sqliteDriverName();
    const filename = target.filename ?? target.url;
    return new SqliteDialect({
      database: async () => {
        try {
          createPrivateFile(filename);
          const db = await openSqlite(driver, filename);
          db.pragma("foreign_keys = ON");
          applySqliteOptions(db, target.sqlite);
          return reusePreparedStatements(db);
        } catch (error) {
          if (error instanceof ConfigError) throw error;
          const runtime = currentRuntime();
          if (driver === "better-sqlite3" && runtime.name !== "node") {
            throw new ConfigError(
              `better-sqlite3 does not load on ${runtimeLabel(runtime)}: unset ${SQLITE_DRIVER_VARIABLE} to use ${RUNTIME_DRIVER[runtime.name]}, this runtime's own SQLite.`,
              { cause: error },
            );
          }
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
