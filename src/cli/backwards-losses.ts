// What `piccolo migrations backwards` is about to destroy, so the question (and the --yes output) names
// it: the tables it drops with their row counts, and the columns it drops from tables it keeps. Found by
// running each planned migration's `backwards` against a recording Kysely (as --preview does forwards)
// and reading the DROP statements, so it follows the migrations as written, including apps of your own.
import type { Database } from "../engine/connect.js";
import { sql } from "kysely";
import { recordingKysely } from "../migrations/preview.js";
import { findApp } from "../migrations/registry.js";
import type { BackwardsPlan } from "../migrations/runner-types.js";

export interface Loss {
  table: string;
  /** Rows in the table now; null when they cannot be counted (the table is already gone). */
  rows: number | null;
  /** The columns dropped from a table that stays; absent when the whole table goes. */
  columns?: string[];
}

const NAME = String.raw`[\x60"\[]?([\w$]+)[\x60"\]]?`;
const DROP_TABLE = new RegExp(String.raw`^\s*drop\s+table\s+(?:if\s+exists\s+)?${NAME}`, "i");
const ALTER_TABLE = new RegExp(String.raw`^\s*alter\s+table\s+${NAME}`, "i");
const DROP_COLUMN = new RegExp(String.raw`drop\s+column\s+(?:if\s+exists\s+)?${NAME}`, "gi");

async function recordedStatements(database: Database, plans: readonly BackwardsPlan[]): Promise<string[]> {
  const statements: string[] = [];
  for (const plan of plans) {
    const app = findApp(plan.app);
    for (const id of plan.ids) {
      const migration = app.migrations.find((each) => each.id === id);
      if (!migration) continue;
      const db = recordingKysely(database.engine, statements);
      try {
        await migration.backwards({ db, engine: database.engine, dialect: database.dialect });
      } finally {
        await db.destroy();
      }
    }
  }
  return statements;
}

async function countRows(database: Database, table: string): Promise<number | null> {
  try {
    const row = await database.kysely.selectFrom(table).select(sql<number | string>`count(*)`.as("n")).executeTakeFirst();
    return Number(row?.n ?? 0);
  } catch {
    return null;
  }
}

/** The tables and columns the plans drop, each table once, with its row count. */
export async function backwardsLosses(database: Database, plans: readonly BackwardsPlan[]): Promise<Loss[]> {
  const droppedTables: string[] = [];
  const droppedColumns = new Map<string, string[]>();
  for (const statement of await recordedStatements(database, plans)) {
    const table = DROP_TABLE.exec(statement)?.[1];
    if (table) {
      if (!droppedTables.includes(table)) droppedTables.push(table);
      continue;
    }
    const altered = ALTER_TABLE.exec(statement)?.[1];
    if (!altered) continue;
    for (const match of statement.matchAll(DROP_COLUMN)) {
      const columns = droppedColumns.get(altered) ?? [];
      if (!columns.includes(match[1]!)) columns.push(match[1]!);
      droppedColumns.set(altered, columns);
    }
  }
  const losses: Loss[] = [];
  for (const table of droppedTables) losses.push({ table, rows: await countRows(database, table) });
  for (const [table, columns] of droppedColumns) {
    if (!droppedTables.includes(table)) losses.push({ table, rows: await countRows(database, table), columns });
  }
  return losses;
}

const rowCount = (rows: number | null) => (rows === null ? "" : ` (${rows === 1 ? "1 row" : `${rows} rows`})`);

/** `the table piccolo_user (4821 rows); the columns superuser, last_login of sessions (3 rows)`. */
export function describeLosses(losses: readonly Loss[]): string {
  return losses
    .map((loss) =>
      loss.columns
        ? `the column${loss.columns.length === 1 ? "" : "s"} ${loss.columns.join(", ")} of ${loss.table}${rowCount(loss.rows)}`
        : `the table ${loss.table}${rowCount(loss.rows)}`,
    )
    .join("; ");
}
