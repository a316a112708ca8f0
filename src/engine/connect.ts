import type { Kysely as KyselyInstance } from "kysely";
import { Kysely } from "kysely";
import { existsSync } from "node:fs";
import path from "node:path";
import type { DatabaseTarget, EngineName } from "./config.js";
import { databaseFile, resolveDatabase } from "./config.js";
import { dialects, type EngineDialect } from "./dialects/index.js";
import { ConfigError } from "../errors.js";
import { runClosingTasks } from "./closing-tasks.js";

/** A connected database: the Kysely instance plus what the rest of piccolo-ts needs to know about it. */
export interface Database {
  /** Where this connection goes (its `displayUrl` is safe to print). */
  readonly target: DatabaseTarget;
  /** The engine's name, for messages; decide behaviour with `dialect`. */
  readonly engine: EngineName;
  /** The engine's facts (types, locks, error codes): ask it instead of comparing engine names. */
  readonly dialect: EngineDialect;
  // Tables are named at run time (BaseUser.tableName can change), so the schema type is open here;
  // the typed schema for applications is `PiccoloTables` in user/table.ts.
  /** The Kysely instance on this pool: cast it to `Kysely<YourTables>` (see `PiccoloTables`) for typed queries. */
  readonly kysely: KyselyInstance<any>;
  /** Ends the pool, after the writes still pending on it (a login's `last_login`); calling it again does nothing. */
  close(): Promise<void>;
}

/**
 * Opens a new connection pool for `target`, of your own to close. Drivers are loaded only for the
 * engine in use. Most code wants `openDatabase` (one shared pool per URL) instead.
 *
 * @example
 * ```ts
 * const db = await connect(parseDatabaseUrl("postgres://postgres@127.0.0.1:5432/app"));
 * try {
 *   await migrateForwards("user", { database: db });
 * } finally {
 *   await db.close();
 * }
 * ```
 */
export async function connect(target: DatabaseTarget): Promise<Database> {
  const dialect = dialects[target.engine];
  if (!dialect) throw new ConfigError(`Unknown database engine ${String(target.engine)}.`);
  const kysely = new Kysely<any>({ dialect: await dialect.createKyselyDialect(target) });
  let closed = false;
  const database: Database = {
    target,
    engine: target.engine,
    dialect,
    kysely,
    async close() {
      if (closed) return;
      closed = true;
      // Pending writes (a login's last_login) finish on the open pool first.
      await runClosingTasks(database);
      await kysely.destroy();
    },
  };
  return database;
}

const openDatabases = new Map<string, Promise<Database>>();
const keyOfGivenUrl = new Map<string, string>();

/**
 * The shared connection for a URL (or, with none, the one the resolution order picks): opened once
 * per process and reused by every call. `closeDatabases()` ends them all.
 *
 * @example
 * ```ts
 * const db = await openDatabase(process.env.DATABASE_URL);
 * const rows = await db.kysely.selectFrom("piccolo_user").select(["id", "username"]).execute();
 * await closeDatabases();
 * ```
 */
export async function openDatabase(url?: string, options: OpenOptions = {}): Promise<Database> {
  const given = givenUrlKey(url);
  const open = given === undefined ? undefined : openDatabases.get(keyOfGivenUrl.get(given) ?? "");
  if (open) return open;
  const target = await resolveDatabase(url);
  const key = poolKey(target);
  if (given !== undefined) keyOfGivenUrl.set(given, key);
  let database = openDatabases.get(key);
  if (!database) {
    if (!options.create) refuseMissingDefaultFile(target);
    database = connect(target);
    openDatabases.set(key, database);
    database.catch(() => openDatabases.delete(key));
  }
  return database;
}

/**
 * Closes every connection opened through `openDatabase`: every user class's, the session store's, the
 * admin's, so a script or test ends cleanly whatever it opened. (`BaseUser.close()` closes the class's
 * own only.) Databases of your own from `connect` are yours to close.
 *
 * @example
 * ```ts
 * await BaseUser.createUser({ username: "bob", password: "bob-s3cret" });
 * await closeDatabases(); // every pool piccolo-ts opened in this process
 * ```
 */
export async function closeDatabases(): Promise<void> {
  const all = [...openDatabases.values()];
  openDatabases.clear();
  await Promise.all(all.map(async (database) => (await database).close()));
}

/**
 * Closes the one shared connection `openDatabase(url)` gives (with no URL, the one the resolution order
 * picks), when it is open, and leaves every other pool open; the next `openDatabase` of it opens a new
 * one. `BaseUser.close()` calls it with the class's `database`.
 *
 * @example
 * ```ts
 * await closeDatabase(process.env.DATABASE_URL); // the users' pool; a session store on another URL stays open
 * ```
 */
export async function closeDatabase(url?: string): Promise<void> {
  const given = givenUrlKey(url);
  let key = given === undefined ? undefined : keyOfGivenUrl.get(given);
  if (key === undefined) {
    // A URL that does not resolve was never opened either: there is nothing of it to close.
    const target = await resolveDatabase(url).catch(() => undefined);
    if (!target) return;
    key = poolKey(target);
  }
  const database = openDatabases.get(key);
  if (!database) return;
  openDatabases.delete(key);
  await (await database).close();
}

// A URL given resolves the same way each time (a relative SQLite path against the working directory):
// its key is remembered rather than parsed again on every call.
function givenUrlKey(url: string | undefined): string | undefined {
  return url !== undefined && url.trim() !== "" ? `${process.cwd()}\0${url}` : undefined;
}

/** One pool per database: the engine and the file or URL. */
function poolKey(target: DatabaseTarget): string {
  return `${target.engine}:${target.filename ?? target.url}`;
}

/** Accepts what public APIs take as `database`: an open `Database`, a URL/path, or nothing (resolution order). */
export async function useDatabase(database?: string | Database, options: OpenOptions = {}): Promise<Database> {
  return typeof database === "object" ? database : openDatabase(database, options);
}

/** How `openDatabase` may open what the resolution order picks. */
export interface OpenOptions {
  /**
   * Create the default `./piccolo.sqlite` when it does not exist (migrating does; `migrateForwards`
   * passes it). Without it a missing default file is a ConfigError: a script run from the wrong folder
   * would otherwise leave an empty database there and fail later, on a missing table. A SQLite file
   * named explicitly (argument, DATABASE_URL, piccolo.config.*) is created either way.
   */
  create?: boolean;
}

/** The default SQLite file is opened, not made, except by migrations (see OpenOptions.create). */
function refuseMissingDefaultFile(target: DatabaseTarget): void {
  const file = databaseFile(target);
  if (target.source !== "default" || file === null || existsSync(file)) return;
  throw new ConfigError(
    `There is no database at ${file}, the default (neither DATABASE_URL nor a piccolo.config.* in ${path.dirname(file)} names one), ` +
      "and piccolo-ts creates the default file only when migrating: run `npx piccolo migrations forwards all` in your project's folder " +
      "(or migrateForwards), or run the script from that folder, or set DATABASE_URL.",
  );
}
