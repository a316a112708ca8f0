import type { ColumnType, Generated, Kysely } from "kysely";
import { missingTableName } from "../engine/database-errors.js";
import type { EngineDialect } from "../engine/dialects/index.js";
import { nowTimestamp } from "../engine/values.js";

/** Piccolo's bookkeeping table: one row per migration that ran (`name` = ID, `app_name`). */
export const MIGRATION_TABLE = "migration";

/** Piccolo's `migration` table: one row per migration ran, per app. */
export interface MigrationTable {
  /** Serial primary key. */
  id: Generated<number>;
  /** The migration's ID (e.g. `2019-11-14T21:52:21`). */
  name: string;
  /** The app it belongs to (e.g. `user`). */
  app_name: string;
  /** When it ran (naive UTC timestamp text). */
  ran_on: ColumnType<string, string | undefined, string>;
}

type MigrationDb = Kysely<{ migration: MigrationTable }>;

export interface MigrationRow {
  name: string;
  app_name: string;
  ran_on: string;
}

/** Creates the table when missing. Call it under the migration lock: concurrent CREATEs race on PostgreSQL. */
export async function ensureMigrationTable(db: Kysely<any>, dialect: EngineDialect): Promise<void> {
  const table = dialect
    .addIdColumn(db.schema.createTable(MIGRATION_TABLE).ifNotExists())
    .addColumn("name", dialect.varcharType(200), (c) => c.notNull().defaultTo(""))
    .addColumn("app_name", dialect.varcharType(200), (c) => c.notNull().defaultTo(""))
    .addColumn("ran_on", dialect.timestampType(), (c) => c.notNull().defaultTo(dialect.currentTimestamp()));
  await dialect.withTableOptions(table).execute();
}

/** The IDs of `app` that ran, as Piccolo reads them (`WHERE app_name = ? ORDER BY ran_on`). */
export async function ranMigrationIds(db: MigrationDb, app: string): Promise<string[]> {
  const rows = await db
    .selectFrom(MIGRATION_TABLE)
    .select("name")
    .where("app_name", "=", app)
    .orderBy("ran_on")
    .orderBy("id")
    .execute();
  return rows.map((row) => row.name);
}

/** Every row, or none when the table does not exist yet (reading must not create it). */
export async function readMigrationRows(db: MigrationDb): Promise<MigrationRow[]> {
  try {
    const rows = await db
      .selectFrom(MIGRATION_TABLE)
      .select(["name", "app_name", "ran_on"])
      .orderBy("ran_on")
      .orderBy("id")
      .execute();
    return rows;
  } catch (error) {
    if (missingTableName(error) === MIGRATION_TABLE) return [];
    throw error;
  }
}

export async function hasRun(db: MigrationDb, app: string, id: string): Promise<boolean> {
  const row = await db
    .selectFrom(MIGRATION_TABLE)
    .select("id")
    .where("app_name", "=", app)
    .where("name", "=", id)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** `ran_on` is written by the client, as Piccolo does: naive UTC text with microseconds. */
export async function recordMigration(db: MigrationDb, app: string, id: string): Promise<void> {
  await db.insertInto(MIGRATION_TABLE).values({ name: id, app_name: app, ran_on: nowTimestamp() }).execute();
}

export async function deleteMigrationRecord(db: MigrationDb, app: string, id: string): Promise<void> {
  await db.deleteFrom(MIGRATION_TABLE).where("app_name", "=", app).where("name", "=", id).execute();
}
