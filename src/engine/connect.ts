import { createRequire } from "node:module";
import type { Dialect, Kysely as KyselyInstance } from "kysely";
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from "./kysely.js";
import type { EngineName, DatabaseTarget } from "./config.js";
import { resolveDatabase } from "./config.js";
import { clusterMysqlDialect, isMultiHostMysqlUrl, prepareMysqlSession, retryingPool } from "./mysql-cluster.js";
import { ConfigError, DatabaseConnectionError } from "../errors.js";

/** A connected database: the Kysely instance plus what the rest of piccolo-ts needs to know about it. */
export interface Database {
  readonly target: DatabaseTarget;
  readonly engine: EngineName;
  // Tables are named at run time (BaseUser.tableName can change), so the schema type is open here;
  // the typed schema for applications is `PiccoloTables` in user/table.ts.
  readonly kysely: KyselyInstance<any>;
  close(): Promise<void>;
}

const PG_TIMESTAMP_OIDS = [1114, 1184]; // timestamp, timestamptz: kept as text, parsed by values.ts

async function postgresDialect(target: DatabaseTarget): Promise<Dialect> {
  const pg = loadDriver<typeof import("pg")>("pg");
  const pool = new pg.Pool({
    connectionString: target.url,
    // Idle connections must not keep a finished script alive.
    allowExitOnIdle: true,
    connectionTimeoutMillis: 10_000,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        PG_TIMESTAMP_OIDS.includes(oid)
          ? (value: string) => value
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // A server restart kills idle clients; without a listener the pool's 'error' event would crash the process.
  pool.on("error", () => {});
  // A client that is checked out when the server goes away emits 'error' itself, outside the pool's
  // listener; unheard, that is an uncaught exception. The failing query still rejects with the cause.
  pool.on("connect", (client) => client.on("error", () => {}));
  return new PostgresDialect({ pool });
}

async function mysqlDialect(target: DatabaseTarget): Promise<Dialect> {
  const mysql = loadDriver<typeof import("mysql2")>("mysql2");
  const options = { charset: "utf8mb4", dateStrings: true, supportBigNumbers: true, connectTimeout: 10_000, timezone: "Z" };
  if (isMultiHostMysqlUrl(target.url)) return clusterMysqlDialect(mysql, target.url, options);
  const pool = mysql.createPool({ uri: target.url.replace(/^mariadb:/i, "mysql:"), ...options });
  // Idle pooled sockets must not keep a finished script alive: hold the loop only while in use.
  type Socketed = { stream?: { ref?: () => void; unref?: () => void } };
  pool.on("acquire", (connection) => (connection as unknown as Socketed).stream?.ref?.());
  pool.on("release", (connection) => (connection as unknown as Socketed).stream?.unref?.());
  return new MysqlDialect({ pool: retryingPool(pool) as never, onCreateConnection: prepareMysqlSession });
}

async function sqliteDialect(target: DatabaseTarget): Promise<Dialect> {
  const BetterSqlite3 = loadDriver<typeof import("better-sqlite3")>("better-sqlite3");
  return new SqliteDialect({
    database: async () => {
      try {
        const db = new BetterSqlite3(target.filename ?? target.url, { timeout: 15_000 });
        db.pragma("foreign_keys = ON");
        return db;
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
}

// The drivers are CommonJS: require() loads them directly, where import() would first scan each
// file for its export names (a few milliseconds of every command's start-up).
const requireDriver = createRequire(import.meta.url);

function loadDriver<T>(name: "pg" | "mysql2" | "better-sqlite3"): T {
  try {
    return requireDriver(name) as T;
  } catch (error) {
    throw new ConfigError(`The database driver "${name}" cannot be loaded (${(error as Error).message.split("\n")[0]}): reinstall piccolo-ts's dependencies.`);
  }
}

/** Opens a new connection pool for `target`. Drivers are loaded only for the engine in use. */
export async function connect(target: DatabaseTarget): Promise<Database> {
  let dialect: Dialect;
  switch (target.engine) {
    case "postgres":
      dialect = await postgresDialect(target);
      break;
    case "mysql":
      dialect = await mysqlDialect(target);
      break;
    case "sqlite":
      dialect = await sqliteDialect(target);
      break;
    default:
      throw new ConfigError(`Unknown database engine ${String((target as DatabaseTarget).engine)}.`);
  }
  const kysely = new Kysely<any>({ dialect });
  let closed = false;
  return {
    target,
    engine: target.engine,
    kysely,
    async close() {
      if (closed) return;
      closed = true;
      await kysely.destroy();
    },
  };
}

const openDatabases = new Map<string, Promise<Database>>();

/**
 * The shared connection for a URL (or, with none, the one the resolution order picks): opened once
 * per process and reused by every call. `closeDatabases()` ends them all.
 */
export async function getDatabase(url?: string): Promise<Database> {
  const target = await resolveDatabase(url);
  const key = `${target.engine}:${target.filename ?? target.url}`;
  let database = openDatabases.get(key);
  if (!database) {
    database = connect(target);
    openDatabases.set(key, database);
    database.catch(() => openDatabases.delete(key));
  }
  return database;
}

/** Closes every connection opened through `getDatabase`, so a script or test ends cleanly. */
export async function closeDatabases(): Promise<void> {
  const all = [...openDatabases.values()];
  openDatabases.clear();
  await Promise.all(all.map(async (database) => (await database).close()));
}

/** Accepts what public APIs take as `database`: an open `Database`, a URL/path, or nothing (resolution order). */
export async function useDatabase(database?: string | Database): Promise<Database> {
  return typeof database === "object" ? database : getDatabase(database);
}
