import { performance } from "node:perf_hooks";
import { useDatabase, type Database } from "../engine/connect.js";
import { runTranslated, translateDatabaseError } from "../engine/database-errors.js";
import { parseTimestamp } from "../engine/values.js";
import { DatabaseConnectionError, MigrationError, TableMissingError, type PiccoloError } from "../errors.js";
import { findApp, registeredMigrationApps } from "./registry.js";
import { withMigrationLock } from "./lock.js";
import {
  deleteMigrationRecord,
  ensureMigrationTable,
  hasRun,
  ranMigrationIds,
  readMigrationRows,
  recordMigration,
} from "./migration-table.js";
import { recordingKysely } from "./preview.js";
import type { Migration, MigrationApp } from "./types.js";
import type {
  MigrationDirection,
  AppSelector,
  ForwardsOptions,
  AppForwardsResult,
  ForwardsResult,
  BackwardsOptions,
  AppBackwardsResult,
  BackwardsResult,
  MigrationStatusOptions,
  MigrationStatus,
  PreviewOptions,
  MigrationPreview,
} from "./runner-types.js";

export type * from "./runner-types.js";


function selectApps(app: AppSelector): MigrationApp[] {
  if (typeof app !== "string") return [app];
  return app === "all" ? [...registeredMigrationApps()] : [findApp(app)];
}

function unknownMigration(app: MigrationApp, id: string): MigrationError {
  const known = app.migrations.map((migration) => migration.id).join(", ");
  return new MigrationError(`Unknown migration ID ${JSON.stringify(id)} for app ${app.name}: its migrations are ${known}.`);
}

function checkSingleApp(app: AppSelector, migrationId: string | undefined): void {
  if (app === "all" && migrationId !== undefined && migrationId !== "all") {
    throw new MigrationError("A migration ID applies to one app: name the app instead of all.");
  }
}

/** The migrations of `app` up to and including `migrationId` (all of them without one). */
function migrationsUpTo(app: MigrationApp, migrationId: string | undefined): readonly Migration[] {
  if (migrationId === undefined || migrationId === "all") return app.migrations;
  const index = app.migrations.findIndex((migration) => migration.id === migrationId);
  if (index < 0) throw unknownMigration(app, migrationId);
  return app.migrations.slice(0, index + 1);
}

function migrationFailed(
  database: Database,
  app: MigrationApp,
  migration: Migration,
  direction: MigrationDirection,
  error: unknown,
): PiccoloError {
  const cause = translateDatabaseError(error, database.target, app.name);
  if (cause instanceof DatabaseConnectionError) return cause;
  // TableMissingError's own advice ("run forwards first") would mislead inside a migration.
  const reason = cause instanceof TableMissingError ? `The table ${cause.table} does not exist.` : cause.message;
  const outcome =
    database.dialect.transactionalDdl
      ? "None of its changes were kept."
      : `${database.engine} cannot roll back DDL: once the cause is fixed, run it again to finish what is missing.`;
  return new MigrationError(
    `Migration ${migration.id} of app ${app.name} failed (${direction}). ${reason} ${outcome}`,
    { cause },
  );
}

/**
 * Runs the pending migrations of `app` (or of every app with `"all"`), each in its own transaction,
 * under a lock so processes that start at once apply each migration exactly once. Run it at deploy
 * time or at start-up; running it again does nothing.
 *
 * @example
 * ```ts
 * await migrateForwards("user");                                  // every pending one of the user app
 * await migrateForwards("all", { database: process.env.DATABASE_URL, onEvent: (e) => console.log(e.type) });
 * await migrateForwards("user", { migrationId: "2021-04-30T16:14:15" }); // up to and including this one
 * ```
 */
export async function migrateForwards(app: AppSelector, options: ForwardsOptions = {}): Promise<ForwardsResult> {
  checkSingleApp(app, options.migrationId);
  const targets = selectApps(app)
    .filter((each) => app !== "all" || !each.optIn)
    .map((each) => ({ app: each, migrations: migrationsUpTo(each, options.migrationId) }));
  const fake = options.fake ?? false;
  const emit = options.onEvent ?? (() => {});
  const database = await useDatabase(options.database, { create: true });
  const results: AppForwardsResult[] = [];
  for (const { app: current, migrations } of targets) {
    const ran = await runTranslated(database, () =>
      withMigrationLock(database, async (db) => {
        await ensureMigrationTable(db, database.dialect);
        return new Set(await ranMigrationIds(db, current.name));
      }),
      { app: current.name },
    );
    const pending = migrations.filter((migration) => !ran.has(migration.id));
    const result: AppForwardsResult = { app: current.name, pending: pending.length, applied: [], appliedElsewhere: [] };
    emit({ type: "plan", direction: "forwards", app: current.name, ids: pending.map((m) => m.id), fake });
    for (const migration of pending) {
      emit({ type: "start", direction: "forwards", app: current.name, id: migration.id, description: migration.description, fake });
      const started = performance.now();
      const applied = await runTranslated(database, () =>
        withMigrationLock(database, async (db) => {
          // Re-checked under the lock: another process may have run it since we looked.
          if (await hasRun(db, current.name, migration.id)) return false;
          if (!fake) {
            try {
              await migration.forwards({ db, engine: database.engine, dialect: database.dialect });
            } catch (error) {
              throw migrationFailed(database, current, migration, "forwards", error);
            }
          }
          // Same transaction as the DDL (on MySQL: only once the DDL has succeeded).
          await recordMigration(db, current.name, migration.id);
          return true;
        }),
        { app: current.name },
      );
      if (applied) {
        result.applied.push(migration.id);
        emit({ type: "done", direction: "forwards", app: current.name, id: migration.id, fake, durationMs: performance.now() - started });
      } else {
        result.appliedElsewhere.push(migration.id);
        emit({ type: "skipped", direction: "forwards", app: current.name, id: migration.id });
      }
    }
    results.push(result);
  }
  return { fake, apps: results };
}

/** The ran migrations of `app` to reverse, latest first. */
function backwardsPlan(app: MigrationApp, ranIds: ReadonlySet<string>, migrationId: string | undefined): Migration[] {
  const ran = app.migrations.filter((migration) => ranIds.has(migration.id));
  const last = ran.at(-1);
  if (!last) return [];
  if (migrationId === undefined) return [last];
  if (migrationId === "all") return [...ran].reverse();
  const index = ran.findIndex((migration) => migration.id === migrationId);
  if (index < 0) {
    throw new MigrationError(
      `Migration ${migrationId} of app ${app.name} has not been run; the ones that ran are ${ran.map((m) => m.id).join(", ")}.`,
    );
  }
  return ran.slice(index).reverse();
}

/**
 * Reverses the latest migration of `app`, or down to and including `migrationId` (`"all"`: every one).
 *
 * @example
 * ```ts
 * await migrateBackwards("user");                          // only the latest
 * const result = await migrateBackwards("user", {
 *   migrationId: "all",
 *   confirm: (plan) => plan.every((app) => app.ids.length < 5), // false cancels
 * });
 * ```
 */
export async function migrateBackwards(app: AppSelector, options: BackwardsOptions = {}): Promise<BackwardsResult> {
  checkSingleApp(app, options.migrationId);
  const apps = app === "all" ? selectApps(app).reverse() : selectApps(app);
  // `backwards all` undoes every app completely, as Piccolo does.
  const migrationId = app === "all" ? "all" : options.migrationId;
  if (migrationId !== undefined && migrationId !== "all") migrationsUpTo(apps[0]!, migrationId); // unknown ID → error
  const emit = options.onEvent ?? (() => {});
  const database = await useDatabase(options.database);
  const rows = await runTranslated(database, () => readMigrationRows(database.kysely), { app: apps[0]?.name });
  const plans = apps.map((current) => {
    const ranIds = new Set(rows.filter((row) => row.app_name === current.name).map((row) => row.name));
    return { app: current, migrations: backwardsPlan(current, ranIds, migrationId) };
  });
  const results: AppBackwardsResult[] = plans.map((plan) => ({
    app: plan.app.name,
    planned: plan.migrations.map((m) => m.id),
    reversed: [],
    reversedElsewhere: [],
  }));
  const nothingToReverse = plans.every((plan) => plan.migrations.length === 0);
  if (nothingToReverse) {
    for (const result of results) emit({ type: "plan", direction: "backwards", app: result.app, ids: [], fake: false });
    return { nothingToReverse, cancelled: false, apps: results };
  }
  if (options.confirm && !(await options.confirm(results.map((r) => ({ app: r.app, ids: [...r.planned] }))))) {
    return { nothingToReverse, cancelled: true, apps: results };
  }
  for (const [index, plan] of plans.entries()) {
    const current = plan.app;
    const result = results[index]!;
    emit({ type: "plan", direction: "backwards", app: current.name, ids: [...result.planned], fake: false });
    for (const migration of plan.migrations) {
      emit({ type: "start", direction: "backwards", app: current.name, id: migration.id, description: migration.description, fake: false });
      const started = performance.now();
      const reversed = await runTranslated(database, () =>
        withMigrationLock(database, async (db) => {
          if (!(await hasRun(db, current.name, migration.id))) return false;
          try {
            await migration.backwards({ db, engine: database.engine, dialect: database.dialect });
          } catch (error) {
            throw migrationFailed(database, current, migration, "backwards", error);
          }
          await deleteMigrationRecord(db, current.name, migration.id);
          return true;
        }),
        { app: current.name },
      );
      if (reversed) {
        result.reversed.push(migration.id);
        emit({ type: "done", direction: "backwards", app: current.name, id: migration.id, fake: false, durationMs: performance.now() - started });
      } else {
        result.reversedElsewhere.push(migration.id);
        emit({ type: "skipped", direction: "backwards", app: current.name, id: migration.id });
      }
    }
  }
  return { nothingToReverse, cancelled: false, apps: results };
}

/**
 * Every known migration (of every app, or of one) and whether it ran; reads only, creates nothing.
 * For a health check that refuses to start on an unmigrated database.
 *
 * @example
 * ```ts
 * const pending = (await migrationStatus({ app: "user" })).filter((m) => !m.ran);
 * if (pending.length > 0) throw new Error(`run: piccolo migrations forwards user (${pending.length} pending)`);
 * ```
 */
export async function migrationStatus(options: MigrationStatusOptions = {}): Promise<MigrationStatus[]> {
  const apps = selectApps(options.app ?? "all");
  const database = await useDatabase(options.database);
  const rows = await runTranslated(database, () => readMigrationRows(database.kysely), { app: apps[0]?.name });
  return apps.flatMap((app) =>
    app.migrations.map((migration) => {
      const row = rows.find((candidate) => candidate.app_name === app.name && candidate.name === migration.id);
      return {
        app: app.name,
        id: migration.id,
        description: migration.description,
        ran: row !== undefined,
        ranOn: row ? parseTimestamp(row.ran_on) : null,
      };
    }),
  );
}

/**
 * The SQL that `migrateForwards` with the same arguments would run, compiled for the database's engine
 * but not executed (the CLI's `--preview`). Like Piccolo's preview it leaves out the bookkeeping
 * (creating the `migration` table, inserting its rows); it reads the database only to see what ran.
 *
 * @example
 * ```ts
 * for (const { app, id, statements } of await previewForwards("user")) {
 *   console.log(`-- ${app} ${id}\n${statements.join(";\n")};`);
 * }
 * ```
 */
export async function previewForwards(app: AppSelector, options: PreviewOptions = {}): Promise<MigrationPreview[]> {
  checkSingleApp(app, options.migrationId);
  const targets = selectApps(app)
    .filter((each) => app !== "all" || !each.optIn)
    .map((each) => ({ app: each, migrations: migrationsUpTo(each, options.migrationId) }));
  const database = await useDatabase(options.database);
  const rows = await runTranslated(database, () => readMigrationRows(database.kysely), { app: targets[0]?.app.name });
  const previews: MigrationPreview[] = [];
  for (const { app: current, migrations } of targets) {
    const ran = new Set(rows.filter((row) => row.app_name === current.name).map((row) => row.name));
    for (const migration of migrations.filter((m) => !ran.has(m.id))) {
      const statements: string[] = [];
      const db = recordingKysely(database.engine, statements);
      try {
        await migration.forwards({ db, engine: database.engine, dialect: database.dialect });
      } finally {
        await db.destroy();
      }
      previews.push({ app: current.name, id: migration.id, description: migration.description, statements });
    }
  }
  return previews;
}
