import { sql, MysqlDialect } from "kysely";
import { mysqlConnectionCause } from "../connection-causes.js";
import type { DatabaseTarget } from "../config.js";
import { ConfigError, MigrationError } from "../../errors.js";
import { loadDriver } from "./driver.js";
import { isGaleraSession, withClusterLock } from "../cluster-lock.js";
import { clusterMysqlDialect, isMultiHostMysqlUrl, prepareMysqlSession, retryingPool } from "../mysql-cluster.js";
import { inTransaction } from "./transaction.js";
import { codeOf, type EngineDialect } from "./types.js";

const MIGRATION_LOCK_SECONDS = 60;

/**
 * URL query options passed on to mysql2, and how each is read. Others are refused: mysql2 takes any
 * option from a URL, and some (`debug`) print every statement — password hashes included.
 */
const URL_OPTIONS: Record<string, (value: string) => unknown> = {
  connectionLimit: positiveInteger,
  connectTimeout: positiveInteger,
  ssl: (value) => (value === "true" || value === "required" ? {} : value === "false" ? undefined : sslProfile(value)),
};

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1) throw new ConfigError(`Expected a whole number > 0, got "${value}".`);
  return number;
}

function sslProfile(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new ConfigError('The ssl option takes true, false or a JSON object such as {"rejectUnauthorized":true}.');
  }
}

/** mysql2 connection options from a mysql:// or mariadb:// URL, with only the allowed query options. */
export function mysqlConnectionOptions(target: DatabaseTarget): Record<string, unknown> {
  let url: URL;
  try {
    url = new URL(target.url.replace(/^mariadb:/i, "mysql:"));
  } catch {
    throw new ConfigError(`The database URL ${target.displayUrl} is not a valid mysql:// URL.`);
  }
  const options: Record<string, unknown> = {
    host: url.hostname || "localhost",
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, "")) || undefined,
  };
  for (const [name, value] of url.searchParams) {
    const read = URL_OPTIONS[name];
    if (!read) {
      throw new ConfigError(
        `The MySQL URL option "${name}" is not supported; the supported ones are ${Object.keys(URL_OPTIONS).join(", ")}.`,
      );
    }
    options[name] = read(value);
  }
  return options;
}

export const mysqlDialect: EngineDialect = {
  name: "mysql",
  driverName: () => "mysql2",

  async createKyselyDialect(target) {
    const mysql = await loadDriver<typeof import("mysql2")>("mysql2");
    const poolOptions = (url: string) =>
      ({
        ...mysqlConnectionOptions({ ...target, url }),
        charset: "utf8mb4",
        dateStrings: true,
        supportBigNumbers: true,
        connectTimeout: 10_000,
        timezone: "Z",
      }) as import("mysql2").PoolOptions;
    // h1:3306,h2:3306 — one pool per server (engine/mysql-cluster.ts).
    if (isMultiHostMysqlUrl(target.url)) return clusterMysqlDialect(mysql, target.url, poolOptions);
    const pool = mysql.createPool(poolOptions(target.url));
    // Idle pooled sockets must not keep a finished script alive: hold the loop only while in use.
    type Socketed = { stream?: { ref?: () => void; unref?: () => void } };
    pool.on("acquire", (connection) => (connection as unknown as Socketed).stream?.ref?.());
    pool.on("release", (connection) => (connection as unknown as Socketed).stream?.unref?.());
    return new MysqlDialect({ pool: retryingPool(pool) as never, onCreateConnection: prepareMysqlSession });
  },

  booleanToDatabase: (value) => (value ? 1 : 0),
  addIdColumn: (builder) => builder.addColumn("id", sql.raw("INTEGER"), (c) => c.notNull().autoIncrement().primaryKey()),
  // MySQL's default collations ignore case and trailing spaces; the binary one compares like
  // PostgreSQL and SQLite do, so 'Bob' and 'bob' are two usernames everywhere.
  varcharType: (length, options) =>
    sql.raw(`VARCHAR(${Math.trunc(length)})${options?.exact ? " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" : ""}`),
  // MySQL's TIMESTAMP converts time zones and ends in 2038.
  timestampType: () => sql.raw("DATETIME(6)"),
  currentTimestamp: () => sql`CURRENT_TIMESTAMP(6)`,
  // No aware type (TIMESTAMP converts with the session zone and ends in 2038): UTC in DATETIME(6).
  timestamptzType: () => sql.raw("DATETIME(6)"),
  // No arrays: JSON, whose default must be an expression.
  arrayType: () => ({ type: sql.raw("JSON"), emptyDefault: sql`(JSON_ARRAY())` }),
  utcOffsetSuffix: "",
  arraysAsJson: true,
  // Its older default character set, utf8mb3, cannot store every character.
  withTableOptions: (builder) => builder.modifyEnd(sql`DEFAULT CHARSET=utf8mb4`),
  transactionalDdl: false,
  dropTableCascades: false,
  supportsForUpdate: true,
  upsertReturning: false,
  indexNamesPerTable: true,

  async insertReturningId(insert) {
    return Number((await insert.executeTakeFirstOrThrow()).insertId);
  },
  beginWrite: () => sql`START TRANSACTION`,
  // A named lock per database, released at the end or by the server when the connection dies.
  async withMigrationLock(db, work, pool) {
    // GET_LOCK is local to one node on Galera: there the lock is a row every node agrees on.
    if (pool && (await isGaleraSession(db))) return withClusterLock(db, pool, () => inTransaction(db, sql`START TRANSACTION`, work));
    // Lock names are server-wide: qualify by database (hashed, as names are limited to 64 characters).
    const name = sql`CONCAT('piccolo_migrations_', MD5(DATABASE()))`;
    const { rows } = await sql<{ locked: number | null }>`SELECT GET_LOCK(${name}, ${MIGRATION_LOCK_SECONDS}) AS locked`.execute(db);
    if (Number(rows[0]?.locked) !== 1) {
      throw new MigrationError(
        `Another process has been running migrations on this database for over ${MIGRATION_LOCK_SECONDS} seconds; try again later.`,
      );
    }
    try {
      return await inTransaction(db, sql`START TRANSACTION`, work);
    } finally {
      await sql`SELECT RELEASE_LOCK(${name})`.execute(db).catch(() => {});
    }
  },

  connectionErrorCodes: new Set([
    "PROTOCOL_CONNECTION_LOST",
    "PROTOCOL_SEQUENCE_TIMEOUT",
    "ER_ACCESS_DENIED_ERROR",
    "ER_BAD_DB_ERROR",
    "ER_CON_COUNT_ERROR",
  ]),
  uniqueViolationColumn(error) {
    if (codeOf(error) !== "ER_DUP_ENTRY" && error.errno !== 1062) return null;
    const key = /for key '([^']+)'/.exec(error.sqlMessage ?? error.message ?? "")?.[1] ?? "";
    const name = key.split(".").pop() ?? "";
    // Our constraints are named `<table>_<column>_key`.
    return /(?:^|_)(username|email)_key$/.exec(name)?.[1] ?? name.replace(/_key$|_unique$/, "");
  },
  missingTableName(error) {
    if (codeOf(error) !== "ER_NO_SUCH_TABLE" && error.errno !== 1146) return null;
    return /Table '(?:[^'.]+\.)?([^']+)' doesn't exist/.exec(error.sqlMessage ?? error.message ?? "")?.[1] ?? "";
  },
  connectionCause: mysqlConnectionCause,
  // ER_LOCK_DEADLOCK: a deadlock, or on Galera a write set that failed certification against another node's.
  isRetryableConflict: (error) => codeOf(error) === "ER_LOCK_DEADLOCK" || error.errno === 1213,
};
