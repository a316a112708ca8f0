// Why a connection failed, in words. Drivers report a missing database, a wrong password or a refused
// role as bare codes (PostgreSQL 3D000, 28P01, 28000; MariaDB ER_BAD_DB_ERROR, ER_ACCESS_DENIED_ERROR);
// here each becomes a sentence that names the database or user from the URL and says what to do. When
// the server answered (every cause below but `unreachable`), the advice never suggests starting it.
import { existsSync } from "node:fs";
import path from "node:path";
import type { DatabaseTarget } from "./config.js";
import { DatabaseConnectionError, NamedConnectionError, type ConnectionCause } from "../errors.js";

interface DriverError {
  code?: string | number;
  errno?: number;
  message?: string;
  sqlMessage?: string;
  errors?: DriverError[];
  cause?: unknown;
}

interface Place {
  host: string;
  port: string;
  user: string | undefined;
  database: string | undefined;
  hasPassword: boolean;
}

/** Host, port, user and database name from the URL (never its password). */
function placeOf(target: DatabaseTarget, defaultPort: string): Place {
  try {
    const url = new URL(target.url);
    const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || undefined;
    return {
      host: url.hostname || "localhost",
      port: url.port || defaultPort,
      user: url.username ? decodeURIComponent(url.username) : undefined,
      database,
      hasPassword: url.password !== "",
    };
  } catch {
    return { host: "localhost", port: defaultPort, user: undefined, database: undefined, hasPassword: false };
  }
}

/** `'it''s'`-style quoting for a shell argument. */
function shellQuote(text: string): string {
  return /^[\w.@%+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The quoted name in a driver message: `database "x" does not exist` → x. */
function quotedIn(message: string, pattern: RegExp): string | undefined {
  return pattern.exec(message)?.[1];
}

/** A PostgreSQL connection failure in words (the PostgreSQL dialect's `connectionCause`). */
export function postgresConnectionCause(e: DriverError, target: DatabaseTarget): NamedConnectionError | null {
  const code = String(e.code ?? "");
  const message = e.message ?? "";
  const place = placeOf(target, "5432");
  const make = (detail: string, reason: ConnectionCause, advice: string) =>
    new NamedConnectionError(target.displayUrl, detail, reason, advice, { cause: e });
  if (code === "3D000") {
    const name = quotedIn(message, /database "([^"]*)"/) ?? place.database ?? "";
    const user = place.user ? ` -U ${shellQuote(place.user)}` : "";
    return make(
      `the database "${name}" does not exist on the server`,
      "database-missing",
      `Create it with: createdb -h ${shellQuote(place.host)} -p ${place.port}${user} ${shellQuote(name)} (or CREATE DATABASE in psql), then run "piccolo migrations forwards user"`,
    );
  }
  if (code === "28P01") {
    const user = quotedIn(message, /for user "([^"]*)"/) ?? place.user ?? "";
    return make(
      `authentication failed for user "${user}": wrong password`,
      "authentication-failed",
      "Check the user name and password in --db, DATABASE_URL or piccolo.config.*",
    );
  }
  if (code === "28000") {
    const role = quotedIn(message, /role "([^"]*)" does not exist/);
    if (role !== undefined) {
      return make(
        `access denied: the role "${role}" does not exist on the server`,
        "access-denied",
        `Use an existing role, or create it with: createuser -h ${shellQuote(place.host)} -p ${place.port} ${shellQuote(role)}`,
      );
    }
    const user = quotedIn(message, /user "([^"]*)"/) ?? place.user ?? "";
    return make(
      `access denied for user "${user}": the server's pg_hba.conf does not allow this connection`,
      "access-denied",
      "Ask the database administrator to allow this user, host and database in pg_hba.conf, or connect as another user",
    );
  }
  return null;
}

/** A MySQL/MariaDB connection failure in words (the MySQL dialect's `connectionCause`). */
export function mysqlConnectionCause(e: DriverError, target: DatabaseTarget): NamedConnectionError | null {
  const code = String(e.code ?? "");
  const message = e.sqlMessage ?? e.message ?? "";
  const place = placeOf(target, "3306");
  const make = (detail: string, reason: ConnectionCause, advice: string) =>
    new NamedConnectionError(target.displayUrl, detail, reason, advice, { cause: e });
  if (code === "ER_BAD_DB_ERROR" || e.errno === 1049) {
    const name = quotedIn(message, /Unknown database '([^']*)'/) ?? place.database ?? "";
    // `-p` only when the URL has a password: without one it would stop and ask for it.
    const user = `${place.user ? ` -u ${shellQuote(place.user)}` : ""}${place.hasPassword ? " -p" : ""}`;
    const sql = `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`;
    return make(
      `the database "${name}" does not exist on the server`,
      "database-missing",
      `Create it with: mariadb -h ${shellQuote(place.host)} -P ${place.port}${user} -e ${shellQuote(sql)} (mysql instead of mariadb for MySQL), then run "piccolo migrations forwards user"`,
    );
  }
  if (code === "ER_ACCESS_DENIED_ERROR" || e.errno === 1045) {
    const user = quotedIn(message, /for user '([^']*)'/) ?? place.user ?? "";
    return make(
      `authentication failed for user "${user}": wrong password, or no such user for this host`,
      "authentication-failed",
      "Check the user name and password in --db, DATABASE_URL or piccolo.config.*",
    );
  }
  if (code === "ER_DBACCESS_DENIED_ERROR" || e.errno === 1044) {
    const user = quotedIn(message, /for user '([^']*)'/) ?? place.user ?? "";
    const name = quotedIn(message, /to database '([^']*)'/) ?? place.database ?? "";
    return make(
      `access denied: user "${user}" may not use the database "${name}"`,
      "access-denied",
      `Grant it with: GRANT ALL ON \`${name}\`.* TO '${user}'@'%', or connect as another user`,
    );
  }
  return null;
}

/** A SQLite file that cannot be opened, in words (the SQLite dialect's `connectionCause`). */
export function sqliteConnectionCause(e: DriverError, target: DatabaseTarget): NamedConnectionError | null {
  const code = String(e.code ?? "");
  const message = e.message ?? "";
  const file = target.filename ?? target.url;
  const make = (detail: string, advice: string) =>
    new NamedConnectionError(target.displayUrl, detail, "sqlite-cannot-open", advice, { cause: e });
  // better-sqlite3 says so itself; bun:sqlite and node:sqlite report SQLITE_CANTOPEN alone.
  const cannotOpen = code === "SQLITE_CANTOPEN" || /unable to open database file/i.test(message);
  if (/directory does not exist/i.test(message) || (cannotOpen && !existsSync(path.dirname(file)))) {
    return make(
      `cannot open the SQLite file: the folder ${path.dirname(file)} does not exist`,
      "Create the folder, or point --db, DATABASE_URL or piccolo.config.* at an existing one",
    );
  }
  if (cannotOpen) {
    return make(
      "cannot open the SQLite file (no permission to read or create it, or the path is a folder)",
      "Check the file's path and permissions",
    );
  }
  if (code === "SQLITE_NOTADB" || /file is not a database/i.test(message)) {
    return make("the file is not a SQLite database", "Point --db, DATABASE_URL or piccolo.config.* at a SQLite file");
  }
  return null;
}

const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: "nothing is listening there (connection refused)",
  ENOTFOUND: "the host name was not found",
  EAI_AGAIN: "the host name could not be looked up",
  EHOSTUNREACH: "the host cannot be reached",
  ETIMEDOUT: "the connection timed out",
};

function unreachableCause(e: DriverError, target: DatabaseTarget): NamedConnectionError | null {
  const inner = [e, ...(Array.isArray(e.errors) ? e.errors : [])];
  for (const candidate of inner) {
    const words = UNREACHABLE[String(candidate.code ?? "")];
    if (words) {
      return new NamedConnectionError(
        target.displayUrl,
        words,
        "unreachable",
        "Check that the database server is running and that --db, DATABASE_URL or piccolo.config.* points at it",
        { cause: e },
      );
    }
  }
  return null;
}

/**
 * The connection failure `error` stands for, named in words, or null when it is not one this module
 * knows (the caller then translates it as before). Also looks inside a DatabaseConnectionError that
 * wraps the driver's error (the SQLite opener throws one).
 */
export function nameConnectionCause(
  error: unknown,
  target: DatabaseTarget,
  engineCause: (error: DriverError, target: DatabaseTarget) => NamedConnectionError | null,
): NamedConnectionError | null {
  if (error instanceof NamedConnectionError) return error;
  const driver = (error instanceof DatabaseConnectionError ? error.cause : error) as DriverError | null | undefined;
  if (driver === null || typeof driver !== "object") return null;
  const named = engineCause(driver, target);
  return named ?? unreachableCause(driver, target);
}
