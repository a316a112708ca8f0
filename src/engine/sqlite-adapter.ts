// The shape of a SQLite connection as piccolo-ts uses it: better-sqlite3's, which Kysely's SqliteDialect
// drives (prepare → reader? all : run; iterate for streams) and sqlite-options.ts configures (pragma,
// busy). better-sqlite3 has it natively; sqlite-bun.ts (bun:sqlite) and sqlite-node.ts (node:sqlite,
// Deno's and newer Node's built-in) wrap their runtime's driver into it, so one Kysely dialect serves all
// three and every layer above sees the same rows, errors and transactions.

/** The outcome of a statement that returns no rows. */
export interface SqliteRunResult {
  changes: number | bigint;
  lastInsertRowid: number | bigint;
}

/** A prepared statement, as better-sqlite3 shapes it (parameters as one array). */
export interface SqliteStatement {
  /** True when the statement returns rows (a SELECT, a PRAGMA with a value, … RETURNING). */
  readonly reader: boolean;
  /** True while an iteration over its rows is under way (it cannot be reused until then). */
  readonly busy: boolean;
  all(parameters?: readonly unknown[]): unknown[];
  run(parameters?: readonly unknown[]): SqliteRunResult;
  iterate(parameters?: readonly unknown[]): IterableIterator<unknown>;
}

/** An open SQLite file, as better-sqlite3 shapes it. */
export interface SqliteDatabase {
  prepare(source: string): SqliteStatement;
  /** Runs `PRAGMA <source>` and answers its rows. */
  pragma(source: string): unknown;
  close(): void;
}

/** What a runtime's own driver offers of one statement (bun:sqlite and node:sqlite agree on these). */
export interface NativeStatement {
  all(...parameters: unknown[]): unknown[];
  run(...parameters: unknown[]): SqliteRunResult;
  iterate(...parameters: unknown[]): IterableIterator<unknown>;
}

/**
 * A runtime driver's statement in better-sqlite3's shape. `reader` is decided by the caller (each driver
 * tells it its own way); rows are copied to plain objects, as better-sqlite3 gives them; errors get
 * better-sqlite3's `SQLITE_…` code through `normalizeError`.
 */
export function adaptStatement(statement: NativeStatement, reader: boolean, normalizeError: (error: unknown) => unknown): SqliteStatement {
  let iterating = 0;
  const guard = <T>(work: () => T): T => {
    try {
      return work();
    } catch (error) {
      throw normalizeError(error);
    }
  };
  return {
    reader,
    get busy() {
      return iterating > 0;
    },
    all: (parameters = []) => guard(() => statement.all(...parameters).map((row) => ({ ...(row as object) }))),
    run: (parameters = []) => guard(() => statement.run(...parameters)),
    *iterate(parameters = []) {
      iterating++;
      try {
        const rows = guard(() => statement.iterate(...parameters));
        for (;;) {
          const next = guard(() => rows.next());
          if (next.done) return;
          yield { ...(next.value as object) };
        }
      } finally {
        iterating--;
      }
    },
  };
}
