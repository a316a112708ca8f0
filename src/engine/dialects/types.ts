import type { ColumnDefinitionBuilder, CreateTableBuilder, Dialect, InsertQueryBuilder, Kysely, RawBuilder } from "kysely";
import type { DatabaseTarget, EngineName } from "../config.js";
import type { NamedConnectionError } from "../../errors.js";

/** What a driver error says, in the fields the three drivers use. */
export interface DriverError {
  /** SQLSTATE (pg), `ER_…` name (mysql2) or `SQLITE_…` code (better-sqlite3; the other SQLite drivers are given the same). */
  code?: string | number;
  /** MySQL's numeric error. */
  errno?: number;
  /** The constraint a PostgreSQL error names. */
  constraint?: string;
  /** PostgreSQL's detail line. */
  detail?: string;
  /** The driver's message. */
  message?: string;
  /** MySQL's message without its prefix. */
  sqlMessage?: string;
  /** The errors inside an AggregateError (a connection tried on several addresses). */
  errors?: DriverError[];
}

/**
 * Everything piccolo-ts knows about one database engine, in one object (as Kysely keeps an engine's
 * facts on its dialect adapter). Callers ask the dialect; nothing outside src/engine/ compares engine names.
 */
export interface EngineDialect {
  /** The engine this dialect speaks. */
  readonly name: EngineName;
  /** The driver module this engine is reached through in this process ("pg", "mysql2", "bun:sqlite", …). */
  driverName(): string;
  /** Opens the driver's pool for `target`; the driver is loaded only now. */
  createKyselyDialect(target: DatabaseTarget): Dialect;

  /** How a boolean is written: PostgreSQL has a type, the others store 1/0. */
  booleanToDatabase(value: boolean): boolean | number;
  /** Piccolo's `Serial` primary key. */
  addIdColumn(builder: CreateTableBuilder<string, any>): CreateTableBuilder<string, any>;
  /** `VARCHAR(n)`; `exact` compares case and trailing spaces as PostgreSQL and SQLite do. */
  varcharType(length: number, options?: { exact?: boolean }): RawBuilder<unknown>;
  /** A naive timestamp column type. */
  timestampType(): RawBuilder<unknown>;
  /** An aware timestamp column type, as Piccolo's `Timestamptz` (MySQL has none: naive UTC `DATETIME(6)`). */
  timestamptzType(): RawBuilder<unknown>;
  /**
   * Piccolo's `Array` column of text or aware timestamps, with its empty default: `TEXT[]` on PostgreSQL,
   * the declared type `ARRAY`/`ARRAY_TIMESTAMPTZ` holding JSON text on SQLite, `JSON` on MySQL.
   */
  arrayType(element: "text" | "timestamptz"): { type: RawBuilder<unknown>; emptyDefault: RawBuilder<unknown> };
  /** What follows a UTC timestamp's text in an aware column: `+00:00`, or nothing where the column is naive UTC (MySQL). */
  readonly utcOffsetSuffix: string;
  /** Whether array columns hold JSON text (SQLite, MySQL) rather than native arrays (PostgreSQL). */
  readonly arraysAsJson: boolean;
  /** The column default meaning "now", at the column's precision. */
  currentTimestamp(): RawBuilder<unknown>;
  /** Engine-wide table options (character set). */
  withTableOptions(builder: CreateTableBuilder<string, any>): CreateTableBuilder<string, any>;
  /** False where DDL commits statement by statement, so migrations must resume a half-done run. */
  readonly transactionalDdl: boolean;
  /** Whether `DROP TABLE … CASCADE` exists (and Piccolo uses it). */
  readonly dropTableCascades: boolean;
  /** Whether `SELECT … FOR UPDATE` exists (SQLite locks the whole file on a write transaction instead). */
  readonly supportsForUpdate: boolean;
  /** `INSERT … ON CONFLICT DO UPDATE … RETURNING` exists (else MySQL's `ON DUPLICATE KEY UPDATE`, without RETURNING). */
  readonly upsertReturning: boolean;
  /** Index names belong to a table (`DROP INDEX name ON table`; no `CREATE INDEX IF NOT EXISTS` on MySQL). */
  readonly indexNamesPerTable: boolean;

  /** Inserts one row and answers its generated id. */
  insertReturningId(insert: InsertQueryBuilder<any, any, any>): Promise<number>;
  /** The statement that opens a transaction which will write (SQLite takes the write lock at once). */
  beginWrite(): RawBuilder<unknown>;
  /**
   * Runs `work` holding this database's migration lock, inside a transaction on `db` (one connection);
   * `pool` (the whole database) lets a lock that must be kept alive do so beside the work.
   */
  withMigrationLock<T>(db: Kysely<any>, work: () => Promise<T>, pool?: Kysely<any>): Promise<T>;

  /** Driver error codes that mean the server or file cannot be reached or opened. */
  readonly connectionErrorCodes: ReadonlySet<string>;
  /** The column whose UNIQUE constraint the error reports, or null for another error. */
  uniqueViolationColumn(error: DriverError): string | null;
  /** The table the error reports missing, or null for another error. */
  missingTableName(error: DriverError): string | null;
  /** A failure to connect or open, named in words (missing database, refused login, …), or null for another error. */
  connectionCause(error: DriverError, target: DatabaseTarget): NamedConnectionError | null;
  /** A write lost to a concurrent one and may simply be tried again (deadlock, serialization, certification). */
  isRetryableConflict(error: DriverError): boolean;
}

export type ColumnBuild = (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;

export function codeOf(error: DriverError): string {
  return String(error.code ?? "");
}
