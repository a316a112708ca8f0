import type { DatabaseTarget } from "./config.js";
import { nameConnectionCause } from "./connection-causes.js";
import { DatabaseConnectionError, DatabaseError, PiccoloError, TableMissingError } from "../errors.js";

interface DriverError {
  code?: string | number;
  errno?: number;
  constraint?: string;
  detail?: string;
  message?: string;
  sqlMessage?: string;
  errors?: DriverError[];
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_ACCESS_DENIED_ERROR",
  "ER_BAD_DB_ERROR",
  "ER_CON_COUNT_ERROR",
  "SQLITE_CANTOPEN",
  "SQLITE_NOTADB",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "3D000", // database does not exist
  "28P01", // password authentication failed
  "28000", // invalid authorization
  "53300", // too many connections
]);

const CONNECTION_MESSAGES =
  /Connection terminated|connect ECONNREFUSED|timeout expired|Client has encountered a connection error|Pool is closed|Can't add new command when connection is in closed state|closed state|Connection lost/i;

function codeOf(error: DriverError): string {
  return String(error.code ?? "");
}

function isConnectionFailure(error: DriverError): boolean {
  if (CONNECTION_CODES.has(codeOf(error))) return true;
  // pg reports a refused dual-stack connect as an AggregateError of per-address errors.
  if (Array.isArray(error.errors) && error.errors.some(isConnectionFailure)) return true;
  return CONNECTION_MESSAGES.test(error.message ?? "");
}

/** The column whose UNIQUE constraint a write broke, or null when the error is something else. */
export function uniqueViolationColumn(error: unknown): string | null {
  const e = (error ?? {}) as DriverError;
  const code = codeOf(e);
  if (code === "23505") {
    const fromDetail = /Key \(([^)]+)\)=/.exec(e.detail ?? "")?.[1];
    if (fromDetail) return fromDetail;
    return /_([a-z0-9]+)_key$/.exec(e.constraint ?? "")?.[1] ?? "";
  }
  if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    return /UNIQUE constraint failed: [^.]+\.(\w+)/.exec(e.message ?? "")?.[1] ?? "";
  }
  if (code === "ER_DUP_ENTRY" || e.errno === 1062) {
    const key = /for key '([^']+)'/.exec(e.sqlMessage ?? e.message ?? "")?.[1] ?? "";
    return key.split(".").pop()?.replace(/^piccolo_user_|_key$|_unique$/g, "") ?? "";
  }
  return null;
}

/** The table a query found missing, or null when the error is something else. */
export function missingTableName(error: unknown): string | null {
  const e = (error ?? {}) as DriverError;
  const message = e.sqlMessage ?? e.message ?? "";
  if (codeOf(e) === "42P01") return /relation "([^"]+)"/.exec(message)?.[1] ?? "";
  if (codeOf(e) === "ER_NO_SUCH_TABLE" || e.errno === 1146) {
    return /Table '(?:[^'.]+\.)?([^']+)' doesn't exist/.exec(message)?.[1] ?? "";
  }
  const sqlite = /no such table: (?:main\.)?(\S+)/.exec(message);
  return sqlite ? (sqlite[1] ?? "") : null;
}

export function isConnectionError(error: unknown): boolean {
  return isConnectionFailure((error ?? {}) as DriverError);
}

/**
 * Turns a driver error into one of ours. Driver messages can quote the values of a failed row,
 * so only messages from known-safe classes are passed on; the original stays in `cause`.
 */
export function translateDatabaseError(
  error: unknown,
  target: DatabaseTarget,
  app = "user",
): PiccoloError {
  const named = nameConnectionCause(error, target); if (named) return named;
  if (error instanceof PiccoloError) return error;
  const e = (error ?? {}) as DriverError;
  if (isConnectionFailure(e)) {
    const code = codeOf(e) || (e.errors?.[0] ? codeOf(e.errors[0]) : "");
    const detail = code ? `${code}` : (e.message ?? "connection failed").split("\n")[0] ?? "";
    return new DatabaseConnectionError(target.displayUrl, detail, { cause: error });
  }
  const table = missingTableName(e);
  if (table !== null) return new TableMissingError(table || "piccolo_user", app);
  return new DatabaseError(
    `The database refused the operation (${codeOf(e) || "no code"}).`,
    { cause: error },
  );
}
