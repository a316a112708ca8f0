import type { Kysely as KyselyInstance } from "kysely";
import { Kysely } from "./kysely.js";
import type { DatabaseTarget, EngineName } from "./config.js";
import { resolveDatabase } from "./config.js";
import { dialects, type EngineDialect } from "./dialects/index.js";
import { ConfigError } from "../errors.js";

/** A connected database: the Kysely instance plus what the rest of piccolo-ts needs to know about it. */
export interface Database {
  readonly target: DatabaseTarget;
  readonly engine: EngineName;
  /** The engine's facts (types, locks, error codes): ask it instead of comparing engine names. */
  readonly dialect: EngineDialect;
  // Tables are named at run time (BaseUser.tableName can change), so the schema type is open here;
  // the typed schema for applications is `PiccoloTables` in user/table.ts.
  readonly kysely: KyselyInstance<any>;
  close(): Promise<void>;
}

/** Opens a new connection pool for `target`. Drivers are loaded only for the engine in use. */
export async function connect(target: DatabaseTarget): Promise<Database> {
  const dialect = dialects[target.engine];
  if (!dialect) throw new ConfigError(`Unknown database engine ${String(target.engine)}.`);
  const kysely = new Kysely<any>({ dialect: dialect.createKyselyDialect(target) });
  let closed = false;
  return {
    target,
    engine: target.engine,
    dialect,
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
export async function openDatabase(url?: string): Promise<Database> {
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

/** Closes every connection opened through `openDatabase`, so a script or test ends cleanly. */
export async function closeDatabases(): Promise<void> {
  const all = [...openDatabases.values()];
  openDatabases.clear();
  await Promise.all(all.map(async (database) => (await database).close()));
}

/** Accepts what public APIs take as `database`: an open `Database`, a URL/path, or nothing (resolution order). */
export async function useDatabase(database?: string | Database): Promise<Database> {
  return typeof database === "object" ? database : openDatabase(database);
}
