import { createRequire } from "node:module";

// Kysely is ~270 small modules, and loading them one by one was a third of a CLI command's start-up.
// The build bundles the installed Kysely, shaken down to the names below, into one file
// (scripts/bundle-kysely.mjs, which reads them from here), and every value import of Kysely comes
// through here (type imports can name "kysely" directly: they are erased).
const kysely = createRequire(import.meta.url)("../vendor/kysely.cjs") as typeof import("kysely");

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
