import { createRequire } from "node:module";

// Kysely is ~280 small modules. Node loads its CommonJS build in about half the time of its ESM build,
// and that load is most of a CLI command's start-up, so every value import of Kysely comes through here
// (type imports can name "kysely" directly: they are erased).
const kysely = createRequire(import.meta.url)("kysely") as typeof import("kysely");

export const {
  Kysely,
  sql,
  PostgresDialect,
  MysqlDialect,
  SqliteDialect,
  DummyDriver,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} = kysely;
