import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../errors.js";
import { isMultiHostMysqlUrl, maskMultiHostPassword, parseMultiHostMysqlUrl } from "./mysql-hosts.js";
import { splitSqliteLocation, type SqliteOptions } from "./sqlite-options.js";

/** The database engines piccolo-ts speaks: SQLite (embedded), PostgreSQL and MySQL/MariaDB. */
export type EngineName = "sqlite" | "postgres" | "mysql";

/** Where the database is, after the one resolution order has been applied. */
export interface DatabaseTarget {
  /** Which engine the URL names (a bare path or `sqlite:` is SQLite). */
  engine: EngineName;
  /** The URL or file path as given (may hold a password: never print it, use `displayUrl`). */
  url: string;
  /** The same location with any password masked, safe for messages. */
  displayUrl: string;
  /** For SQLite: the file to open (absolute), or `:memory:`. */
  filename?: string;
  /** For SQLite: the options after `?` in a sqlite: URL (sqlite-options.ts). */
  sqlite?: SqliteOptions;
  /** Which rule picked it. */
  source: "argument" | "DATABASE_URL" | "config file" | "default";
}

export const DEFAULT_SQLITE_FILE = "piccolo.sqlite";
export const CONFIG_FILE_NAMES = [
  "piccolo.config.ts",
  "piccolo.config.js",
  "piccolo.config.mjs",
  "piccolo.config.json",
] as const;

/** The shape of `piccolo.config.*`: `export default { database: "postgres://…" }`. */
export interface PiccoloConfig {
  /** A database URL (`postgres://…`, `mysql://…`, `sqlite:path`) or a SQLite file path. */
  database: string;
}

/** The file an embedded database lives in, or null for a server or an in-memory database. */
export function databaseFile(target: DatabaseTarget): string | null {
  return target.engine === "sqlite" && target.filename !== undefined && target.filename !== ":memory:" ? target.filename : null;
}

/**
 * The URL with its password replaced by `***` (host lists such as `mysql://u:p@h1,h2/db` too), for
 * messages and logs: a database URL must never be printed as given. Text that is not a URL comes back unchanged.
 *
 * @example
 * ```ts
 * maskPassword("postgres://app:hunter2@db.internal:5432/app"); // "postgres://app:***@db.internal:5432/app"
 * ```
 */
export function maskPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return maskMultiHostPassword(url); // host lists (h1:3306,h2:3306) are not WHATWG URLs
  }
}

/**
 * Turns a URL or path into a target, without connecting: to check a URL early, or to pass to `connect`.
 * Understands postgres(ql)://, mysql://, mariadb://, sqlite:PATH and bare paths (relative ones against
 * `cwd`); anything else is a `ConfigError`.
 *
 * @example
 * ```ts
 * const target = parseDatabaseUrl("sqlite:data/app.sqlite");
 * target.engine;     // "sqlite"
 * target.filename;   // the absolute path of data/app.sqlite
 * parseDatabaseUrl("postgres://app:hunter2@localhost/app").displayUrl; // "postgres://app:***@localhost/app"
 * ```
 */
export function parseDatabaseUrl(
  url: string,
  source: DatabaseTarget["source"] = "argument",
  cwd = process.cwd(),
): DatabaseTarget {
  const trimmed = url.trim();
  if (trimmed === "") throw new ConfigError("The database URL is empty.");
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  refuseSchemeWithoutColon(trimmed, scheme);
  if (scheme === "postgres" || scheme === "postgresql") {
    return { engine: "postgres", url: trimmed, displayUrl: maskPassword(trimmed), source };
  }
  if (scheme === "mysql" || scheme === "mariadb") {
    if (isMultiHostMysqlUrl(trimmed)) parseMultiHostMysqlUrl(trimmed); // a malformed host list fails here
    return { engine: "mysql", url: trimmed, displayUrl: maskPassword(trimmed), source };
  }
  let file = trimmed;
  let sqlite: SqliteOptions = {};
  if (scheme === "sqlite" || scheme === "file") {
    ({ file, options: sqlite } = splitSqliteLocation(trimmed.slice(scheme.length + 1).replace(/^\/\/(?=\/|\.|[^/])/, ""), trimmed));
    if (file === "") throw new ConfigError(`The SQLite URL ${trimmed} names no file.`);
  } else if (scheme !== undefined && scheme.length > 1) {
    throw new ConfigError(
      `Unsupported database URL scheme "${scheme}:" (use postgres://, mysql://, sqlite:PATH or a file path).`,
    );
  }
  const filename = file === ":memory:" ? file : path.resolve(cwd, file);
  return { engine: "sqlite", url: trimmed, displayUrl: filename, filename, source, ...(Object.keys(sqlite).length > 0 ? { sqlite } : {}) };
}

/** `postgres//host/db`: a URL that lost its colon, which would otherwise be read as a relative SQLite path. */
const SCHEME_WITHOUT_COLON = /^(postgres|postgresql|mysql|mariadb|sqlite|file)\/\//i;

function refuseSchemeWithoutColon(url: string, scheme: string | undefined): void {
  if (scheme !== undefined) return;
  const match = SCHEME_WITHOUT_COLON.exec(url);
  if (!match) return;
  const word = match[1]!;
  // Not a URL, so maskPassword cannot find the password: hide whatever sits between ":" and "@".
  const shown = url.replace(/:[^@/]*@/, ":***@");
  const fixed = `${word}://${url.slice(match[0].length).replace(/^\/+/, "")}`.replace(/:[^@/]*@/, ":***@");
  throw new ConfigError(
    `The database URL "${shown}" is missing the ":" after "${word}" (it would be read as a SQLite file path): write ${fixed}.`,
  );
}

async function loadConfigModule(file: string): Promise<unknown> {
  if (file.endsWith(".json")) return JSON.parse(readFileSync(file, "utf8"));
  return importConfigFile(file);
}

/**
 * jiti (a loader made for config files) imports a .js/.mjs/.cjs config natively (`tryNative`: Node's own
 * import(), top-level await included, from jiti's module, so the `piccolo` bin's bundle, whose import()
 * is a require(), loads it the same way); a .ts one, which Node 20 cannot import itself, it transpiles
 * with whatever it imports, without the project's own `typescript` (TypeScript 7 has no JavaScript API).
 */
async function importConfigFile(file: string): Promise<unknown> {
  const { createJiti } = await import("jiti");
  // No disk cache: a config is read once per command, and nothing is written into the project.
  const jiti = createJiti(file, { fsCache: false, moduleCache: false, interopDefault: true, tryNative: !file.endsWith(".ts") });
  return jiti.import(file, { default: true });
}

function databaseFromConfig(config: unknown, file: string): string {
  const database = (config as { database?: unknown } | null)?.database;
  if (typeof database === "string" && database.trim() !== "") return database;
  const url = (database as { url?: unknown } | null | undefined)?.url;
  if (typeof url === "string" && url.trim() !== "") return url;
  throw new ConfigError(
    `${path.basename(file)} must export { database: "<url or sqlite path>" }.`,
  );
}

/**
 * The one place that decides which database to use, as the CLI and `BaseUser` do: an explicit argument
 * (the CLI's `--db`), then `DATABASE_URL`, then `piccolo.config.{ts,js,mjs,json}` in `cwd`, then
 * `./piccolo.sqlite`. Use it to find out, or to show, where your app's users live.
 *
 * @example
 * ```ts
 * const target = await resolveDatabase();  // or resolveDatabase(process.argv[2])
 * console.log(`users in ${target.displayUrl} (from ${target.source})`);
 * ```
 */
export async function resolveDatabase(
  explicit?: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<DatabaseTarget> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  if (explicit !== undefined && explicit.trim() !== "") return parseDatabaseUrl(explicit, "argument", cwd);
  const fromEnv = env.DATABASE_URL;
  if (fromEnv !== undefined && fromEnv.trim() !== "") return parseDatabaseUrl(fromEnv, "DATABASE_URL", cwd);
  for (const name of CONFIG_FILE_NAMES) {
    const file = path.join(cwd, name);
    if (!existsSync(file)) continue;
    let config: unknown;
    try {
      config = await loadConfigModule(file);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const reason = (error as Error).message.replace(/\s+$/, "");
      throw new ConfigError(`Cannot read ${name}: ${/[.!?]["')\]]*$/.test(reason) ? reason : `${reason}.`}`);
    }
    return parseDatabaseUrl(databaseFromConfig(config, file), "config file", path.dirname(file));
  }
  return parseDatabaseUrl(DEFAULT_SQLITE_FILE, "default", cwd);
}
