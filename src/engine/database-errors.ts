import type { DatabaseTarget } from "./config.js";
import type { Database } from "./connect.js";
import { nameConnectionCause } from "./connection-causes.js";
import { dialects } from "./dialects/index.js";
import { codeOf, type DriverError } from "./dialects/types.js";
import { DatabaseConnectionError, DatabaseError, PiccoloError, TableMissingError } from "../errors.js";

// Network failures look the same whichever driver saw them.
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "EPIPE", "EAI_AGAIN"]);
const CONNECTION_MESSAGES =
  /Connection terminated|connect ECONNREFUSED|timeout expired|Client has encountered a connection error|Pool is closed|Can't add new command when connection is in closed state|closed state|Connection lost/i;
const allDialects = Object.values(dialects);

function isConnectionFailure(error: DriverError): boolean {
  const code = codeOf(error);
  if (NETWORK_CODES.has(code) || allDialects.some((dialect) => dialect.connectionErrorCodes.has(code))) return true;
  // pg reports a refused dual-stack connect as an AggregateError of per-address errors.
  if (Array.isArray(error.errors) && error.errors.some(isConnectionFailure)) return true;
  return CONNECTION_MESSAGES.test(error.message ?? "");
}

function asDriverError(error: unknown): DriverError {
  return (error ?? {}) as DriverError;
}

/** The column whose UNIQUE constraint a write broke, or null when the error is something else. */
export function uniqueViolationColumn(error: unknown): string | null {
  for (const dialect of allDialects) {
    const column = dialect.uniqueViolationColumn(asDriverError(error));
    if (column !== null) return column;
  }
  return null;
}

/** The table a query found missing, or null when the error is something else. */
export function missingTableName(error: unknown): string | null {
  for (const dialect of allDialects) {
    const table = dialect.missingTableName(asDriverError(error));
    if (table !== null) return table;
  }
  return null;
}

/** A write that lost to a concurrent one (deadlock, serialization or Galera certification failure). */
export function isRetryableConflict(error: unknown): boolean {
  return allDialects.some((dialect) => dialect.isRetryableConflict(asDriverError(error)));
}

/**
 * Turns a driver error into one of ours, keeping the original as `cause`. Driver messages can quote
 * the values of a failed row, so only our own wording goes into `message`.
 */
export function translateDatabaseError(error: unknown, target: DatabaseTarget, app = "user"): PiccoloError {
  const named = nameConnectionCause(error, target, dialects[target.engine].connectionCause);
  if (named) return named;
  if (error instanceof PiccoloError) return error;
  const e = asDriverError(error);
  if (isConnectionFailure(e)) {
    const code = codeOf(e) || (e.errors?.[0] ? codeOf(e.errors[0]) : "");
    const detail = code || ((e.message ?? "connection failed").split("\n")[0] ?? "");
    return new DatabaseConnectionError(target.displayUrl, detail, { cause: error });
  }
  const table = missingTableName(e);
  if (table !== null) return new TableMissingError(table || "(unknown)", app, { cause: error, database: target.displayUrl });
  return new DatabaseError(`The database refused the operation (${codeOf(e) || "no code"}).`, { cause: error });
}

/** Runs database work; a driver error leaves only as one of our typed errors (the driver's in `cause`). */
export async function runTranslated<T>(database: Database, work: () => Promise<T>, options: { app?: string } = {}): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateDatabaseError(error, database.target, options.app);
  }
}
