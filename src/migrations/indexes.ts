import type { MigrationContext } from "./types.js";

const ER_DUP_KEYNAME = 1061;
const ER_CANT_DROP_FIELD_OR_KEY = 1091;

/** CREATE INDEX, re-runnable after an interrupted run (MySQL has no CREATE INDEX IF NOT EXISTS). */
export async function createIndexOnce(context: MigrationContext, name: string, table: string, column: string): Promise<void> {
  const index = context.db.schema.createIndex(name).on(table).column(column);
  if (!context.dialect.indexNamesPerTable) {
    await index.ifNotExists().execute();
    return;
  }
  await index.execute().catch((error: { errno?: number }) => {
    if (error.errno !== ER_DUP_KEYNAME) throw error;
  });
}

/** DROP INDEX, re-runnable after an interrupted run (MySQL commits DDL statement by statement). */
export async function dropIndexOnce(context: MigrationContext, name: string, table: string): Promise<void> {
  let drop = context.db.schema.dropIndex(name);
  drop = context.dialect.indexNamesPerTable ? drop.on(table) : drop.ifExists();
  await drop.execute().catch((error: { errno?: number }) => {
    if (error.errno !== ER_CANT_DROP_FIELD_OR_KEY) throw error;
  });
}
