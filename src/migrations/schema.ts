import type { ColumnDefinitionBuilder, Kysely, RawBuilder } from "kysely";
import { sql } from "kysely";
import { MigrationError } from "../errors.js";
import type { MigrationContext } from "./types.js";

// Column types are written in upper case, as Piccolo declares them, because SQLite keeps the declared
// text: `PRAGMA table_info` then shows `VARCHAR(100)`, `BOOLEAN`, `TIMESTAMP` like a Piccolo database.
// Every argument here is a constant of our own migrations, never user data.

export function booleanType(): RawBuilder<unknown> {
  return sql.raw("BOOLEAN");
}

/** The columns `table` has, or null when it does not exist. */
export async function tableColumns(db: Kysely<any>, table: string): Promise<Set<string> | null> {
  const tables = await db.introspection.getTables();
  const found = tables.find((candidate) => candidate.name === table);
  return found ? new Set(found.columns.map((column) => column.name)) : null;
}

/**
 * Where DDL commits statement by statement (MySQL), a migration killed half-way leaves part of its
 * work: the columns `table` has then (null when missing), so forwards can do only what is left.
 * Null where DDL is transactional, since nothing of a failed run remains there.
 */
async function leftoverColumns(context: MigrationContext, table: string): Promise<Set<string> | null> {
  return context.dialect.transactionalDdl ? null : tableColumns(context.db, table);
}

/**
 * Before CREATE TABLE: true when an interrupted earlier run (non-transactional DDL) already made this
 * very table, so there is nothing to do; a table of that name with other columns is refused.
 */
export async function createdByEarlierRun(context: MigrationContext, table: string, columns: readonly string[]): Promise<boolean> {
  const existing = await leftoverColumns(context, table);
  if (!existing) return false;
  const missing = columns.filter((column) => !existing.has(column));
  if (missing.length === 0) return true;
  throw new MigrationError(`The table ${table} already exists without the column(s) ${missing.join(", ")}.`);
}

/** DROP TABLE (with CASCADE, where asked and the engine has it), re-runnable after an interrupted run. */
export async function dropTable(context: MigrationContext, table: string, options: { cascade?: boolean } = {}): Promise<void> {
  let drop = context.db.schema.dropTable(table);
  if (options.cascade && context.dialect.dropTableCascades) drop = drop.cascade();
  if (!context.dialect.transactionalDdl) drop = drop.ifExists();
  await drop.execute();
}

export interface ColumnSpec {
  name: string;
  type: RawBuilder<unknown>;
  build?: (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
}

/** One ALTER TABLE … ADD COLUMN per column, as Piccolo does (SQLite allows only one per statement). */
export async function addColumns(context: MigrationContext, table: string, columns: readonly ColumnSpec[]): Promise<void> {
  const existing = await leftoverColumns(context, table);
  for (const column of columns) {
    if (existing?.has(column.name)) continue; // added by an earlier, interrupted run
    await context.db.schema
      .alterTable(table)
      .addColumn(column.name, column.type, column.build ?? ((c) => c))
      .execute();
  }
}

export async function dropColumns(context: MigrationContext, table: string, names: readonly string[]): Promise<void> {
  const existing = await leftoverColumns(context, table);
  for (const name of names) {
    if (existing && !existing.has(name)) continue; // dropped by an earlier, interrupted run
    await context.db.schema.alterTable(table).dropColumn(name).execute();
  }
}
