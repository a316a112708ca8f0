// node:sqlite (Deno's built-in SQLite, and Node's from 22.13) in better-sqlite3's shape
// (sqlite-adapter.ts). Deno cannot load better-sqlite3's addon; this driver reads and writes the same file
// format. Its errors carry SQLite's numeric code (`errcode`) under the code ERR_SQLITE_ERROR: they are
// given better-sqlite3's `SQLITE_…` names here, so constraint and connection errors read the same.
import { ConfigError } from "../errors.js";
import { adaptStatement, type NativeStatement, type SqliteDatabase } from "./sqlite-adapter.js";

interface NodeStatement extends NativeStatement {
  /** The result's columns (Node ≥ 22.16, Deno 2): empty for a statement that returns no rows. */
  columns?(): unknown[];
}

interface NodeDatabase {
  prepare(source: string): NodeStatement;
  close(): void;
}

type NodeSqlite = { DatabaseSync: new (filename: string) => NodeDatabase };
// A specifier in a variable: Node 20's types know no node:sqlite, and a bundler leaves it alone.
const NODE_SQLITE = "node:sqlite";

/** SQLite's result codes piccolo-ts tells apart (primary, then extended), by number. */
const RESULT_CODES: Record<number, string> = {
  1: "SQLITE_ERROR",
  3: "SQLITE_PERM",
  5: "SQLITE_BUSY",
  6: "SQLITE_LOCKED",
  8: "SQLITE_READONLY",
  10: "SQLITE_IOERR",
  11: "SQLITE_CORRUPT",
  13: "SQLITE_FULL",
  14: "SQLITE_CANTOPEN",
  19: "SQLITE_CONSTRAINT",
  23: "SQLITE_AUTH",
  26: "SQLITE_NOTADB",
  275: "SQLITE_CONSTRAINT_CHECK",
  787: "SQLITE_CONSTRAINT_FOREIGNKEY",
  1299: "SQLITE_CONSTRAINT_NOTNULL",
  1555: "SQLITE_CONSTRAINT_PRIMARYKEY",
  2067: "SQLITE_CONSTRAINT_UNIQUE",
};

/** The error, its `code` set to better-sqlite3's name for its `errcode` (or for what its message says). */
function withSqliteCode(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const { errcode } = error as Error & { errcode?: number };
  const code =
    (errcode !== undefined ? (RESULT_CODES[errcode] ?? RESULT_CODES[errcode & 0xff]) : undefined) ??
    (/unable to open database file/i.test(error.message) ? "SQLITE_CANTOPEN" : /file is not a database/i.test(error.message) ? "SQLITE_NOTADB" : undefined);
  if (code) Object.defineProperty(error, "code", { value: code, writable: true, configurable: true, enumerable: true });
  return error;
}

/** Opens (creating) `filename` with node:sqlite; throws the driver's error (with a SQLITE_… code) when it cannot. */
export async function openNodeSqlite(filename: string): Promise<SqliteDatabase> {
  let DatabaseSync: NodeSqlite["DatabaseSync"];
  try {
    ({ DatabaseSync } = (await import(NODE_SQLITE)) as NodeSqlite);
  } catch (error) {
    throw new ConfigError("This runtime has no node:sqlite module (Node.js 22.13 or later, or Deno 2, has it).", { cause: error });
  }
  let db: NodeDatabase;
  try {
    db = new DatabaseSync(filename);
  } catch (error) {
    throw withSqliteCode(error);
  }
  return {
    prepare(source) {
      let statement: NodeStatement;
      try {
        statement = db.prepare(source);
      } catch (error) {
        throw withSqliteCode(error);
      }
      if (typeof statement.columns !== "function") {
        throw new ConfigError("This node:sqlite cannot tell a query from a statement (Node.js 22.16 or later has columns()).");
      }
      return adaptStatement(statement, statement.columns().length > 0, withSqliteCode);
    },
    pragma(source) {
      try {
        return db.prepare(`PRAGMA ${source}`).all();
      } catch (error) {
        throw withSqliteCode(error);
      }
    },
    close: () => db.close(),
  };
}
