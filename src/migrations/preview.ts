import {
  DummyDriver,
  Kysely,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";
import type { CompiledQuery, DatabaseConnection, Kysely as KyselyInstance, QueryResult } from "kysely";
import type { EngineName } from "../engine/config.js";

const DIALECT_PARTS = {
  postgres: { Adapter: PostgresAdapter, Compiler: PostgresQueryCompiler, Introspector: PostgresIntrospector },
  mysql: { Adapter: MysqlAdapter, Compiler: MysqlQueryCompiler, Introspector: MysqlIntrospector },
  sqlite: { Adapter: SqliteAdapter, Compiler: SqliteQueryCompiler, Introspector: SqliteIntrospector },
} as const;

/** Compiles what it is given in `engine`'s SQL and keeps the text, running nothing. */
class RecordingDriver extends DummyDriver {
  constructor(private readonly statements: string[]) {
    super();
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const statements = this.statements;
    return {
      async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
        // Reads (the MySQL "what exists already?" probes) change nothing, so they are not shown; they
        // see an empty result, i.e. the preview shows every statement the migration may run.
        if (query.query.kind !== "SelectQueryNode") statements.push(query.sql);
        return { rows: [] };
      },
      async *streamQuery(): AsyncIterableIterator<QueryResult<never>> {
        return;
      },
    };
  }
}

/** A Kysely for `engine` whose queries land in `statements` instead of a database. */
export function recordingKysely(engine: EngineName, statements: string[]): KyselyInstance<any> {
  const parts = DIALECT_PARTS[engine];
  return new Kysely<any>({
    dialect: {
      createAdapter: () => new parts.Adapter(),
      createDriver: () => new RecordingDriver(statements),
      createQueryCompiler: () => new parts.Compiler(),
      createIntrospector: (db) => new parts.Introspector(db),
    },
  });
}
