import type { ColumnDefinitionBuilder, CreateTableBuilder, Kysely, RawBuilder } from "kysely";
import { sql } from "../engine/kysely.js";
import type { EngineName } from "../engine/config.js";
import type { MigrationContext } from "./types.js";

// Column types are written in upper case, as Piccolo declares them, because SQLite keeps the declared
// text: `PRAGMA table_info` then shows `VARCHAR(100)`, `BOOLEAN`, `TIMESTAMP` like a Piccolo database.
// Every argument here is a constant of our own migrations, never user data.

export function varchar(engine: EngineName, length: number, options: { exact?: boolean } = {}): RawBuilder<unknown> {
  const type = `VARCHAR(${Math.trunc(length)})`;
  // MySQL's default collations ignore case and trailing spaces; the binary one compares like
  // PostgreSQL and SQLite do, so 'Bob' and 'bob' are two usernames everywhere.
  return sql.raw(engine === "mysql" && options.exact ? `${type} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin` : type);
}

export function booleanType(): RawBuilder<unknown> {
  return sql.raw("BOOLEAN");
}

/** Naive timestamps; MySQL's own TIMESTAMP converts time zones and ends in 2038, so DATETIME(6). */
export function timestampType(engine: EngineName): RawBuilder<unknown> {
  return sql.raw(engine === "mysql" ? "DATETIME(6)" : "TIMESTAMP");
}

/** Piccolo's `Serial` primary key: SERIAL on PostgreSQL, a rowid alias (no AUTOINCREMENT) on SQLite. */
export function addIdColumn(builder: CreateTableBuilder<string, any>, engine: EngineName): CreateTableBuilder<string, any> {
  switch (engine) {
    case "postgres":
      return builder.addColumn("id", sql.raw("SERIAL"), (c) => c.primaryKey().notNull());
    case "sqlite":
      return builder.addColumn("id", sql.raw("INTEGER"), (c) => c.primaryKey().notNull());
    case "mysql":
      return builder.addColumn("id", sql.raw("INTEGER"), (c) => c.notNull().autoIncrement().primaryKey());
  }
}

/** Table options: utf8mb4 on MySQL (its older default, utf8mb3, cannot store every character). */
export function withTableOptions(builder: CreateTableBuilder<string, any>, engine: EngineName): CreateTableBuilder<string, any> {
  return engine === "mysql" ? builder.modifyEnd(sql`DEFAULT CHARSET=utf8mb4`) : builder;
}

/**
 * MySQL only: the columns `table` has, or null when it does not exist. MySQL commits DDL statement by
 * statement, so a migration killed half-way leaves part of its work; the migrations use this to do
 * only what is still missing when forwards runs again.
 */
export async function mysqlColumns(db: Kysely<any>, table: string): Promise<Set<string> | null> {
  const rows = await db
    .selectFrom("information_schema.columns")
    .select("column_name as name")
    .where(sql.ref("table_schema"), "=", sql`DATABASE()`)
    .where("table_name", "=", table)
    .execute();
  return rows.length === 0 ? null : new Set(rows.map((row) => String(row.name)));
}

export interface ColumnSpec {
  name: string;
  type: RawBuilder<unknown>;
  build?: (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
}

/** One ALTER TABLE … ADD COLUMN per column, as Piccolo does (SQLite allows only one per statement). */
export async function addColumns(context: MigrationContext, table: string, columns: readonly ColumnSpec[]): Promise<void> {
  const existing = context.engine === "mysql" ? await mysqlColumns(context.db, table) : null;
  for (const column of columns) {
    if (existing?.has(column.name)) continue; // added by an earlier, interrupted run (MySQL)
    await context.db.schema
      .alterTable(table)
      .addColumn(column.name, column.type, column.build ?? ((c) => c))
      .execute();
  }
}

export async function dropColumns(context: MigrationContext, table: string, names: readonly string[]): Promise<void> {
  const existing = context.engine === "mysql" ? await mysqlColumns(context.db, table) : null;
  for (const name of names) {
    if (existing && !existing.has(name)) continue; // dropped by an earlier, interrupted run (MySQL)
    await context.db.schema.alterTable(table).dropColumn(name).execute();
  }
}
