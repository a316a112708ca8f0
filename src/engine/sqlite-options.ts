// SQLite's per-database settings given in its URL, and statement reuse on a better-sqlite3 connection.
// Called from config.ts (splitting the URL) and dialects/sqlite.ts (applying them on each connection).
//
//   sqlite:app.sqlite?journal_mode=wal             write-ahead log: readers never wait for a writer, and a
//                                                  commit appends to the log instead of rewriting pages
//   sqlite:app.sqlite?journal_mode=wal&synchronous=normal
//                                                  and no fsync per commit (the last commits can be lost
//                                                  on power failure; the file is never corrupted)
//
// WAL is opt-in because it has conditions: every process using the file must be on the same machine
// (it relies on shared memory, so not on a network file system: NFS, SMB), the database comes with
// -wal and -shm files that belong with it (copy all three, or checkpoint first), and the mode stays
// with the file: Python Piccolo and any other program opening it use WAL too (SQLite handles that).
// `journal_mode=delete` switches the file back.
import { ConfigError } from "../errors.js";

/** Options a SQLite URL may carry (`sqlite:app.sqlite?journal_mode=wal&synchronous=normal`). */
export interface SqliteOptions {
  /** SQLite's `journal_mode` pragma: "wal" for write-ahead logging (see the caveats above). */
  journalMode?: "wal" | "delete" | "truncate" | "persist";
  /** SQLite's `synchronous` pragma: how often SQLite waits for the disk. */
  synchronous?: "normal" | "full" | "extra";
}

const ACCEPTED: Record<string, { key: keyof SqliteOptions; values: readonly string[] }> = {
  journal_mode: { key: "journalMode", values: ["wal", "delete", "truncate", "persist"] },
  synchronous: { key: "synchronous", values: ["normal", "full", "extra"] },
};

/** `app.sqlite?journal_mode=wal` → the file part and its options; unknown names or values are a ConfigError. */
export function splitSqliteLocation(location: string, url: string): { file: string; options: SqliteOptions } {
  const mark = location.indexOf("?");
  if (mark < 0) return { file: location, options: {} };
  const options: SqliteOptions = {};
  for (const [name, value] of new URLSearchParams(location.slice(mark + 1))) {
    const accepted = ACCEPTED[name.toLowerCase()];
    if (!accepted) {
      throw new ConfigError(
        `The SQLite URL ${url} has an unknown option "${name}": the options are ${Object.keys(ACCEPTED).join(", ")}.`,
      );
    }
    const lower = value.toLowerCase();
    if (!accepted.values.includes(lower)) {
      throw new ConfigError(`The SQLite URL option ${name} must be one of ${accepted.values.join(", ")}, not "${value}".`);
    }
    (options as Record<string, string>)[accepted.key] = lower;
  }
  return { file: location.slice(0, mark), options };
}

/** What this file needs of a better-sqlite3 connection. */
interface SqliteConnection {
  pragma(source: string): unknown;
  prepare(source: string): { busy: boolean };
}

/** Applies the URL's options to a newly opened connection (journal_mode persists in the file, synchronous does not). */
export function applySqliteOptions(db: SqliteConnection, options: SqliteOptions | undefined): void {
  if (options?.journalMode) db.pragma(`journal_mode = ${options.journalMode.toUpperCase()}`);
  if (options?.synchronous) db.pragma(`synchronous = ${options.synchronous.toUpperCase()}`);
}

const STATEMENTS_KEPT = 100;

/**
 * Makes `db.prepare` hand back the statement it prepared before for the same SQL (the last 100), as
 * long as that one is not in the middle of an iteration. Kysely prepares every query it runs; a login
 * runs the same few statements every time. better-sqlite3 resets a statement when it completes, so a
 * kept one holds no lock, and SQLite re-prepares it by itself after a schema change.
 */
export function reusePreparedStatements<T extends SqliteConnection>(db: T): T {
  const prepare = db.prepare.bind(db) as (source: string) => ReturnType<T["prepare"]>;
  const kept = new Map<string, ReturnType<T["prepare"]>>();
  db.prepare = ((source: string) => {
    const statement = kept.get(source);
    if (statement && !statement.busy) {
      // Most recently used last, so the oldest is the first to go.
      kept.delete(source);
      kept.set(source, statement);
      return statement;
    }
    const fresh = prepare(source);
    if (!statement) {
      kept.set(source, fresh);
      if (kept.size > STATEMENTS_KEPT) kept.delete(kept.keys().next().value as string);
    }
    return fresh;
  }) as T["prepare"];
  return db;
}
