import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { sql } from "kysely";
import {
  closeDatabases,
  openDatabase,
  migrateBackwards,
  migrateForwards,
  MigrationError,
  migrationStatus,
  PiccoloError,
  previewForwards,
  type Database,
  type MigrationApp,
} from "piccolo-ts";
import { userApp, type MigrationEvent } from "./support/internals.js";
import { freshDatabaseUrl, testEngines, type EngineName } from "./support/engines.js";
import { holdMigrationLock } from "./support/migration-lock.js";

const IDS = userApp.migrations.map((migration) => migration.id);
const [FIRST, SECOND, THIRD] = IDS;
const ROOT = path.resolve(import.meta.dirname, "../..");
const RAN_ON = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;

after(() => closeDatabases());

async function raw(db: Database, text: string): Promise<Record<string, unknown>[]> {
  return (await sql.raw<Record<string, unknown>>(text).execute(db.kysely)).rows;
}

async function tableExists(db: Database, table: string): Promise<boolean> {
  const query: Record<EngineName, string> = {
    sqlite: `SELECT name FROM sqlite_master WHERE type = 'table' AND name = '${table}'`,
    postgres: `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name = '${table}'`,
    mysql: `SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '${table}'`,
  };
  return (await raw(db, query[db.engine])).length === 1;
}

async function columnNames(db: Database, table: string): Promise<string[]> {
  if (db.engine === "sqlite") return (await raw(db, `PRAGMA table_info(${table})`)).map((row) => String(row.name));
  const schema = db.engine === "postgres" ? "'public'" : "DATABASE()";
  const rows = await raw(
    db,
    `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = ${schema} AND table_name = '${table}' ORDER BY ordinal_position`,
  );
  return rows.map((row) => String(row.name));
}

async function migrationRows(db: Database, app = "user"): Promise<{ name: string; app_name: string; ran_on: string }[]> {
  if (!(await tableExists(db, "migration"))) return [];
  const rows = await raw(db, `SELECT name, app_name, ran_on FROM migration WHERE app_name = '${app}' ORDER BY id`);
  return rows.map((row) => ({ name: String(row.name), app_name: String(row.app_name), ran_on: String(row.ran_on) }));
}

/** The columns as the server describes them, one tuple per column. */
async function describeTable(db: Database, table: string): Promise<unknown[][]> {
  if (db.engine === "sqlite") {
    return (await raw(db, `PRAGMA table_info(${table})`)).map((r) => [r.name, r.type, r.notnull, r.dflt_value, r.pk]);
  }
  if (db.engine === "postgres") {
    const rows = await raw(
      db,
      `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = '${table}' ORDER BY ordinal_position`,
    );
    return rows.map((r) => [r.column_name, r.data_type, r.character_maximum_length, r.is_nullable, r.column_default]);
  }
  const rows = await raw(
    db,
    `SELECT column_name AS name, column_type AS type, is_nullable AS nullable, column_default AS dflt, collation_name AS coll, extra
     FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '${table}' ORDER BY ordinal_position`,
  );
  return rows.map((r) => [r.name, r.type, r.nullable, r.dflt, r.coll, r.extra]);
}

const EXPECTED_USER_TABLE: Record<EngineName, unknown[][]> = {
  postgres: [
    ["id", "integer", null, "NO", "nextval('piccolo_user_id_seq'::regclass)"],
    ["username", "character varying", 100, "NO", "''::character varying"],
    ["password", "character varying", 255, "NO", "''::character varying"],
    ["email", "character varying", 255, "NO", "''::character varying"],
    ["active", "boolean", null, "NO", "false"],
    ["admin", "boolean", null, "NO", "false"],
    ["first_name", "character varying", 255, "YES", "''::character varying"],
    ["last_name", "character varying", 255, "YES", "''::character varying"],
    ["superuser", "boolean", null, "NO", "false"],
    ["last_login", "timestamp without time zone", null, "YES", null],
  ],
  sqlite: [
    ["id", "INTEGER", 1, null, 1],
    ["username", "VARCHAR(100)", 1, "''", 0],
    ["password", "VARCHAR(255)", 1, "''", 0],
    ["email", "VARCHAR(255)", 1, "''", 0],
    ["active", "BOOLEAN", 1, "false", 0],
    ["admin", "BOOLEAN", 1, "false", 0],
    ["first_name", "VARCHAR(255)", 0, "''", 0],
    ["last_name", "VARCHAR(255)", 0, "''", 0],
    ["superuser", "BOOLEAN", 1, "false", 0],
    ["last_login", "TIMESTAMP", 0, "null", 0],
  ],
  mysql: [
    ["id", "int(11)", "NO", null, null, "auto_increment"],
    ["username", "varchar(100)", "NO", "''", "utf8mb4_bin", ""],
    ["password", "varchar(255)", "NO", "''", "utf8mb4_general_ci", ""],
    ["email", "varchar(255)", "NO", "''", "utf8mb4_bin", ""],
    ["active", "tinyint(1)", "NO", "0", null, ""],
    ["admin", "tinyint(1)", "NO", "0", null, ""],
    ["first_name", "varchar(255)", "YES", "''", "utf8mb4_general_ci", ""],
    ["last_name", "varchar(255)", "YES", "''", "utf8mb4_general_ci", ""],
    ["superuser", "tinyint(1)", "NO", "0", null, ""],
    ["last_login", "datetime(6)", "YES", "NULL", null, ""],
  ],
};

const EXPECTED_MIGRATION_TABLE: Record<EngineName, unknown[][]> = {
  postgres: [
    ["id", "integer", null, "NO", "nextval('migration_id_seq'::regclass)"],
    ["name", "character varying", 200, "NO", "''::character varying"],
    ["app_name", "character varying", 200, "NO", "''::character varying"],
    ["ran_on", "timestamp without time zone", null, "NO", "CURRENT_TIMESTAMP"],
  ],
  sqlite: [
    ["id", "INTEGER", 1, null, 1],
    ["name", "VARCHAR(200)", 1, "''", 0],
    ["app_name", "VARCHAR(200)", 1, "''", 0],
    ["ran_on", "TIMESTAMP", 1, "CURRENT_TIMESTAMP", 0],
  ],
  mysql: [
    ["id", "int(11)", "NO", null, null, "auto_increment"],
    ["name", "varchar(200)", "NO", "''", "utf8mb4_general_ci", ""],
    ["app_name", "varchar(200)", "NO", "''", "utf8mb4_general_ci", ""],
    ["ran_on", "datetime(6)", "NO", "current_timestamp(6)", null, ""],
  ],
};

/** The UNIQUE constraints of piccolo_user, as `name: column` (SQLite names them itself). */
async function uniqueConstraints(db: Database): Promise<string[]> {
  if (db.engine === "sqlite") {
    const indexes = (await raw(db, "PRAGMA index_list(piccolo_user)")).filter((i) => i.unique === 1 && i.origin === "u");
    const out: string[] = [];
    for (const index of indexes) {
      const columns = await raw(db, `PRAGMA index_info(${String(index.name)})`);
      out.push(`unique: ${columns.map((c) => String(c.name)).join(",")}`);
    }
    return out.sort();
  }
  const schema = db.engine === "postgres" ? "'public'" : "DATABASE()";
  const rows = await raw(
    db,
    `SELECT tc.constraint_name AS name, kcu.column_name AS col FROM information_schema.table_constraints tc
     JOIN information_schema.key_column_usage kcu
       ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema AND kcu.table_name = tc.table_name
     WHERE tc.table_schema = ${schema} AND tc.table_name = 'piccolo_user' AND tc.constraint_type = 'UNIQUE'`,
  );
  return rows.map((r) => `${String(r.name)}: ${String(r.col)}`).sort();
}

/** What Python Piccolo leaves behind after `migrations forwards user` (MySQL: our equivalent, Piccolo has none). */
function piccoloMadeDatabase(engine: EngineName): string[] {
  const id = { postgres: '"id" SERIAL PRIMARY KEY NOT NULL', sqlite: '"id" INTEGER PRIMARY KEY NOT NULL', mysql: "`id` INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY" }[engine];
  const ts = engine === "mysql" ? "DATETIME(6)" : "TIMESTAMP";
  const rows = [FIRST, SECOND, THIRD].map((mid, i) => `('${mid}', 'user', '2026-11-29 00:56:1${i}.883746')`);
  const statements = [
    `CREATE TABLE "migration" (${id}, "name" VARCHAR(200) NOT NULL DEFAULT '', "app_name" VARCHAR(200) NOT NULL DEFAULT '', "ran_on" ${ts} NOT NULL DEFAULT CURRENT_TIMESTAMP${engine === "mysql" ? "(6)" : ""})`,
    `CREATE TABLE "piccolo_user" (${id}, "username" VARCHAR(100) UNIQUE NOT NULL DEFAULT '', "password" VARCHAR(255) NOT NULL DEFAULT '', "email" VARCHAR(255) UNIQUE NOT NULL DEFAULT '', "active" BOOLEAN NOT NULL DEFAULT false, "admin" BOOLEAN NOT NULL DEFAULT false)`,
    `ALTER TABLE "piccolo_user" ADD COLUMN "first_name" VARCHAR(255) DEFAULT ''`,
    `ALTER TABLE "piccolo_user" ADD COLUMN "last_name" VARCHAR(255) DEFAULT ''`,
    `ALTER TABLE "piccolo_user" ADD COLUMN "superuser" BOOLEAN NOT NULL DEFAULT false`,
    `ALTER TABLE "piccolo_user" ADD COLUMN "last_login" ${ts} DEFAULT null`,
    `INSERT INTO "migration" ("name", "app_name", "ran_on") VALUES ${rows.join(", ")}`,
  ];
  return engine === "mysql" ? statements.map((s) => s.replaceAll('"', "`")) : statements;
}

/** A separate Node process migrating through the built package, started at `startAt` (ms since epoch). */
/** `migrateForwards("user")` in a child process; `pid` is known at once, `done` when it exits. */
function migrateInChild(url: string): { pid: number; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const script = `
    import { migrateForwards, closeDatabases } from "piccolo-ts";
    const result = await migrateForwards("user", { database: process.env.MIGRATE_URL });
    await closeDatabases();
    process.stdout.write(JSON.stringify(result));
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: ROOT,
    env: { ...process.env, MIGRATE_URL: url },
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
  return { pid: child.pid!, done };
}

/** A test-only app whose one migration does some DDL, then fails. */
const failingApp: MigrationApp = {
  name: "failing_test",
  migrations: [
    {
      id: "2000-01-01T00:00:00",
      description: "Creates a table, then breaks.",
      async forwards({ db }) {
        await db.schema.createTable("failing_probe").addColumn("id", "integer").execute();
        await db.selectFrom("no_such_table").selectAll().execute();
      },
      async backwards({ db }) {
        await db.schema.dropTable("failing_probe").execute();
      },
    },
  ],
};

for (const engine of testEngines) {
  describe(`migrations on ${engine}`, () => {
    async function fresh(): Promise<{ url: string; db: Database }> {
      const url = await freshDatabaseUrl(engine);
      return { url, db: await openDatabase(url) };
    }

    it("forwards creates piccolo_user and migration exactly as Piccolo does, with three rows", async () => {
      const { url, db } = await fresh();
      const events: MigrationEvent[] = [];
      const result = await migrateForwards("user", { database: url, onEvent: (e) => events.push(e) });

      assert.deepEqual(result, { fake: false, apps: [{ app: "user", pending: 3, applied: IDS, appliedElsewhere: [] }] });
      assert.deepEqual(await describeTable(db, "piccolo_user"), EXPECTED_USER_TABLE[engine]);
      assert.deepEqual(await describeTable(db, "migration"), EXPECTED_MIGRATION_TABLE[engine]);
      assert.deepEqual(
        await uniqueConstraints(db),
        engine === "sqlite"
          ? ["unique: email", "unique: username"]
          : ["piccolo_user_email_key: email", "piccolo_user_username_key: username"],
      );
      if (engine === "mysql") {
        const [create] = await raw(db, "SHOW CREATE TABLE piccolo_user");
        assert.match(String(create?.["Create Table"]), /DEFAULT CHARSET=utf8mb4/);
      }

      const rows = await migrationRows(db);
      assert.deepEqual(rows.map((r) => [r.name, r.app_name]), IDS.map((id) => [id, "user"]));
      for (const row of rows) assert.match(row.ran_on, RAN_ON);

      assert.deepEqual(
        events.map((e) => `${e.type} ${"id" in e ? e.id : e.ids.join(",")}`),
        [`plan ${IDS.join(",")}`, ...IDS.flatMap((id) => [`start ${id}`, `done ${id}`])],
      );
    });

    it("running forwards twice is a no-op", async () => {
      const { url, db } = await fresh();
      await migrateForwards("all", { database: url });
      const rowsAfterFirstRun = (await migrationRows(db)).length;
      const events: MigrationEvent[] = [];
      const again = await migrateForwards("all", { database: url, onEvent: (e) => events.push(e) });
      const user = again.apps.find((a) => a.app === "user");
      assert.deepEqual(user, { app: "user", pending: 0, applied: [], appliedElsewhere: [] });
      assert.deepEqual(events.filter((e) => e.type !== "plan"), []);
      assert.equal((await migrationRows(db)).length, rowsAfterFirstRun);
    });

    it("forwards stops at --migration_id, and runs the rest later", async () => {
      const { url, db } = await fresh();
      const first = await migrateForwards("user", { database: url, migrationId: SECOND });
      assert.deepEqual(first.apps[0]?.applied, [FIRST, SECOND]);
      const columns = await columnNames(db, "piccolo_user");
      assert.ok(columns.includes("last_name") && !columns.includes("superuser"));
      const rest = await migrateForwards("user", { database: url });
      assert.deepEqual(rest.apps[0]?.applied, [THIRD]);
      assert.deepEqual((await migrationRows(db)).map((r) => r.name), IDS);
    });

    it("an unknown migration ID or app is a MigrationError and touches nothing", async () => {
      const { url, db } = await fresh();
      await assert.rejects(migrateForwards("user", { database: url, migrationId: "2099-01-01T00:00:00" }), MigrationError);
      await assert.rejects(migrateForwards("nope", { database: url }), MigrationError);
      await assert.rejects(migrateBackwards("user", { database: url, migrationId: "bogus" }), MigrationError);
      await assert.rejects(migrateForwards("all", { database: url, migrationId: FIRST }), MigrationError);
      assert.equal(await tableExists(db, "migration"), false);
    });

    it("backwards reverses the latest, down to an ID, or all; then says there is nothing to reverse", async () => {
      const { url, db } = await fresh();
      await migrateForwards("user", { database: url });

      const cancelled = await migrateBackwards("user", { database: url, confirm: () => false });
      assert.equal(cancelled.cancelled, true);
      assert.equal((await migrationRows(db)).length, 3);

      let asked: unknown;
      const latest = await migrateBackwards("user", { database: url, confirm: (plan) => ((asked = plan), true) });
      assert.deepEqual(asked, [{ app: "user", ids: [THIRD] }]);
      assert.deepEqual(latest.apps[0]?.reversed, [THIRD]);
      assert.ok(!(await columnNames(db, "piccolo_user")).includes("last_login"));
      assert.deepEqual((await migrationRows(db)).map((r) => r.name), [FIRST, SECOND]);

      await assert.rejects(migrateBackwards("user", { database: url, migrationId: THIRD }), MigrationError); // not ran

      const toSecond = await migrateBackwards("user", { database: url, migrationId: SECOND });
      assert.deepEqual(toSecond.apps[0]?.reversed, [SECOND]);
      assert.deepEqual(await columnNames(db, "piccolo_user"), ["id", "username", "password", "email", "active", "admin"]);

      await migrateForwards("user", { database: url });
      const all = await migrateBackwards("user", { database: url, migrationId: "all" });
      assert.deepEqual(all.apps[0]?.reversed, [THIRD, SECOND, FIRST]);
      assert.equal(await tableExists(db, "piccolo_user"), false);
      assert.deepEqual(await migrationRows(db), []);

      const nothing = await migrateBackwards("user", { database: url });
      assert.equal(nothing.nothingToReverse, true);
      assert.deepEqual(nothing.apps[0]?.reversed, []);
    });

    it("status lists every migration and whether it ran, without creating anything", async () => {
      const { url, db } = await fresh();
      const before = await migrationStatus({ database: url, app: "user" });
      assert.deepEqual(before.map((s) => [s.app, s.id, s.ran, s.ranOn]), IDS.map((id) => ["user", id, false, null]));
      assert.equal(await tableExists(db, "migration"), false);

      const started = Date.now();
      await migrateForwards("user", { database: url, migrationId: FIRST });
      const after = await migrationStatus({ database: url });
      const user = after.filter((s) => s.app === "user");
      assert.deepEqual(user.map((s) => s.ran), [true, false, false]);
      assert.ok(user[0]?.ranOn instanceof Date);
      assert.ok(Math.abs(user[0].ranOn.getTime() - started) < 60_000, "ran_on is UTC now");
      assert.ok(user.every((s) => s.description.length > 0));
    });

    it("fake records the rows without running the DDL", async () => {
      const { url, db } = await fresh();
      const result = await migrateForwards("user", { database: url, fake: true });
      assert.equal(result.fake, true);
      assert.deepEqual(result.apps[0]?.applied, IDS);
      assert.equal(await tableExists(db, "piccolo_user"), false);
      assert.deepEqual((await migrationRows(db)).map((r) => r.name), IDS);
    });

    it("preview returns the SQL and changes nothing", async () => {
      const { url, db } = await fresh();
      const preview = await previewForwards("user", { database: url });
      assert.deepEqual(preview.map((p) => p.id), IDS);
      assert.match(preview[0]?.statements[0] ?? "", /^create table .piccolo_user. \(/);
      assert.ok(preview.every((p) => p.statements.length > 0));
      assert.equal(await tableExists(db, "migration"), false);
      assert.equal(await tableExists(db, "piccolo_user"), false);

      await migrateForwards("user", { database: url, migrationId: FIRST });
      const rest = await previewForwards("user", { database: url });
      assert.deepEqual(rest.map((p) => p.id), [SECOND, THIRD]);
      assert.ok(rest[1]?.statements.some((s) => s.includes("last_login")));
      assert.equal((await migrationRows(db)).length, 1);
    });

    it("a database migrated by Python Piccolo counts as migrated", async () => {
      const { url, db } = await fresh();
      for (const statement of piccoloMadeDatabase(engine)) await raw(db, statement);
      const status = await migrationStatus({ database: url, app: "user" });
      assert.ok(status.every((s) => s.ran));
      assert.equal(status[0]?.ranOn?.toISOString(), "2026-11-29T00:56:10.883Z");
      const result = await migrateForwards("user", { database: url });
      assert.equal(result.apps[0]?.pending, 0);
      // Our backwards works on Piccolo's tables too (Piccolo itself cannot reverse #1 on SQLite).
      await migrateBackwards("user", { database: url, migrationId: "all" });
      assert.equal(await tableExists(db, "piccolo_user"), false);
    });

    it("two processes migrating at once (both seen waiting for the lock) apply each migration exactly once", async (t) => {
      const { url, db } = await fresh();
      // The test holds the migration lock while both start, and lets go only once both wait for it:
      // then the two runs overlap for certain.
      const lock = await holdMigrationLock(engine, url);
      const children = [migrateInChild(url), migrateInChild(url)];
      const pids = children.map((child) => child.pid);
      let waiting = 0;
      try {
        const deadline = Date.now() + 60_000;
        while ((waiting = await lock.waiting(pids)) < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      } finally {
        await lock.release();
      }
      const runs = await Promise.all(children.map((child) => child.done));
      assert.equal(waiting, 2, `only ${waiting} of the two processes waited for the migration lock at once`);
      for (const run of runs) assert.equal(run.code, 0, run.stderr);
      const applied = runs.flatMap((run) => JSON.parse(run.stdout).apps[0].applied as string[]);
      assert.deepEqual(applied.sort(), [...IDS].sort());
      assert.deepEqual((await migrationRows(db)).map((r) => r.name), IDS);
      assert.deepEqual(await describeTable(db, "piccolo_user"), EXPECTED_USER_TABLE[engine]);
      // What each saw of the other: a migration it planned that the other ran first.
      const elsewhere = runs.flatMap((run) => JSON.parse(run.stdout).apps[0].appliedElsewhere as string[]);
      t.diagnostic(`migrations one process found run by the other: ${elsewhere.length}`);
    });

    it("a failing migration leaves no row (and, with transactional DDL, no change)", async () => {
      const { url, db } = await fresh();
      const error = await migrateForwards(failingApp, { database: url }).then(
        () => assert.fail("should fail"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof MigrationError, String(error));
      assert.ok(error.cause instanceof PiccoloError, "the driver error is translated");
      assert.deepEqual(await migrationRows(db, "failing_test"), []);
      // MySQL commits DDL as it goes, so only there the first statement stays.
      assert.equal(await tableExists(db, "failing_probe"), engine === "mysql");
    });

    it("forwards over a conflicting piccolo_user table fails without a row", async () => {
      const { url, db } = await fresh();
      await raw(db, "CREATE TABLE piccolo_user (id INTEGER PRIMARY KEY)");
      await assert.rejects(migrateForwards("user", { database: url }), MigrationError);
      assert.deepEqual(await migrationRows(db), []);
      assert.deepEqual(await columnNames(db, "piccolo_user"), ["id"]);
    });

    if (engine === "mysql") {
      it("finishes a run killed half-way (MySQL commits DDL statement by statement)", async () => {
        const { url, db } = await fresh();
        // What a SIGKILL can leave: migration 1's table without its row, half of migration 2's columns.
        await userApp.migrations[0]!.forwards({ db: db.kysely, engine: db.engine, dialect: db.dialect });
        await raw(db, "ALTER TABLE piccolo_user ADD COLUMN first_name VARCHAR(255) DEFAULT ''");
        const result = await migrateForwards("user", { database: url });
        assert.deepEqual(result.apps[0]?.applied, IDS);
        assert.deepEqual(await describeTable(db, "piccolo_user"), EXPECTED_USER_TABLE[engine]);
        // And backwards resumes the same way: a column already gone is skipped.
        await raw(db, "ALTER TABLE piccolo_user DROP COLUMN last_login");
        await migrateBackwards("user", { database: url, migrationId: "all" });
        assert.equal(await tableExists(db, "piccolo_user"), false);
      });
    }
  });
}
