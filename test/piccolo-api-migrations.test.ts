// piccolo_api's migration apps (session_auth, token_auth, mfa_authenticator): the same IDs and tables as
// Python's, checked against test/fixtures/piccolo-api/schema.json (a copy of shared/piccolo-vectors/,
// produced by running piccolo_api 1.11.0's migrations on SQLite and PostgreSQL).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { closeDatabases, migrateBackwards, migrateForwards, migrationStatus, openDatabase, type Database } from "piccolo-ts";
import { mfaAuthenticatorApp, sessionAuthApp, tokenAuthApp } from "./support/internals.js";
import { root } from "./support/cli.js";
import { freshDatabaseUrl, testEngines, type EngineName } from "./support/engines.js";

after(() => closeDatabases());

interface SchemaVectors {
  migrations: Record<"sqlite" | "postgres", { migration_table_rows: Record<string, { stored?: unknown; text?: unknown }>[] }>;
  ddl: { sqlite_master: Record<string, string> };
  migration_sql_preview: Record<"sqlite" | "postgres", Record<string, Record<string, string[]>>>;
}
const vectors = JSON.parse(readFileSync(path.join(root, "test/fixtures/piccolo-api/schema.json"), "utf8")) as SchemaVectors;
const PYTHON_APPS = ["user", "session_auth", "token_auth", "mfa_authenticator"] as const;

/** The (app, id) pairs Python recorded, in its order. */
function pythonMigrationRows(engine: "sqlite" | "postgres"): { app: string; id: string; ranOn: string }[] {
  return vectors.migrations[engine].migration_table_rows.map((row) => {
    const value = (cell: { stored?: unknown; text?: unknown } | undefined) => String(cell?.stored ?? cell?.text);
    return { app: value(row.app_name), id: value(row.name), ranOn: value(row.ran_on) };
  });
}

async function raw(db: Database, text: string): Promise<Record<string, unknown>[]> {
  return (await sql.raw<Record<string, unknown>>(text).execute(db.kysely)).rows;
}

/** Columns as the server describes them; `ignoreDefaults` names columns whose default differs on purpose. */
async function describeTable(db: Database, table: string, ignoreDefaults: string[] = []): Promise<unknown[][]> {
  const dflt = (name: unknown, value: unknown) => (ignoreDefaults.includes(String(name)) ? "(ignored)" : value);
  if (db.engine === "sqlite") {
    // SQLite keeps a default's text as written: CURRENT_TIMESTAMP and current_timestamp mean the same.
    const lower = (value: unknown) => (typeof value === "string" ? value.toLowerCase() : value);
    return (await raw(db, `PRAGMA table_info(${table})`)).map((r) => [r.name, r.type, r.notnull, dflt(r.name, lower(r.dflt_value)), r.pk]);
  }
  if (db.engine === "postgres") {
    const rows = await raw(
      db,
      `SELECT column_name, data_type, udt_name, character_maximum_length, is_nullable, column_default FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = '${table}' ORDER BY ordinal_position`,
    );
    return rows.map((r) => [r.column_name, r.data_type, r.udt_name, r.character_maximum_length, r.is_nullable, dflt(r.column_name, r.column_default)]);
  }
  const rows = await raw(
    db,
    `SELECT column_name AS name, data_type AS type, is_nullable AS nullable, column_default AS dflt FROM information_schema.columns
     WHERE table_schema = DATABASE() AND table_name = '${table}' ORDER BY ordinal_position`,
  );
  return rows.map((r) => [r.name, r.type, r.nullable, dflt(r.name, r.dflt)]);
}

async function foreignKeys(db: Database, table: string): Promise<string[]> {
  if (db.engine === "sqlite") {
    return (await raw(db, `PRAGMA foreign_key_list(${table})`)).map((r) => `${r.from} -> ${r.table}.${r.to} ${r.on_update}/${r.on_delete}`);
  }
  if (db.engine === "postgres") {
    const rows = await raw(db, `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = '${table}'::regclass AND contype = 'f'`);
    return rows.map((r) => `${r.conname}: ${r.def}`);
  }
  const rows = await raw(
    db,
    `SELECT k.constraint_name AS name, k.column_name AS col, k.referenced_table_name AS ref, r.update_rule AS upd, r.delete_rule AS del
     FROM information_schema.key_column_usage k JOIN information_schema.referential_constraints r
       ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name
     WHERE k.table_schema = DATABASE() AND k.table_name = '${table}' AND k.referenced_table_name IS NOT NULL`,
  );
  return rows.map((r) => `${r.name}: ${r.col} -> ${r.ref} ${r.upd}/${r.del}`);
}

async function indexedColumns(db: Database, table: string): Promise<string[]> {
  if (db.engine === "sqlite") {
    const indexes = await raw(db, `PRAGMA index_list(${table})`);
    const columns: string[] = [];
    for (const index of indexes) {
      for (const info of await raw(db, `PRAGMA index_info(${String(index.name)})`)) columns.push(String(info.name));
    }
    return columns.sort();
  }
  if (db.engine === "postgres") {
    const rows = await raw(db, `SELECT indexdef FROM pg_indexes WHERE tablename = '${table}' AND indexname NOT LIKE '%_pkey'`);
    return rows.map((r) => /\((.+)\)$/.exec(String(r.indexdef))![1]!.replaceAll('"', "")).sort();
  }
  const rows = await raw(db, `SELECT column_name AS col FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = '${table}' AND index_name <> 'PRIMARY'`);
  return rows.map((r) => String(r.col)).sort();
}

const MYSQL_TABLES: Record<string, unknown[][]> = {
  token_auth: [
    ["id", "int", "NO", null],
    ["token", "varchar", "NO", null],
    ["user", "int", "YES", "NULL"],
  ],
  authenticator_secret: [
    ["id", "int", "NO", null],
    ["user_id", "int", "NO", "0"],
    ["secret", "text", "NO", null],
    ["recovery_codes", "longtext", "NO", "json_array()"],
    ["recovery_codes_used_at", "longtext", "NO", "json_array()"],
    ["created_at", "datetime", "NO", "current_timestamp(6)"],
    ["revoked_at", "datetime", "YES", "NULL"],
    ["last_used_at", "datetime", "YES", "NULL"],
    ["last_used_code", "text", "YES", "NULL"],
  ],
};

for (const engine of testEngines) {
  describe(`piccolo_api's migration apps on ${engine}`, () => {
    it("forwards records exactly Python's migration IDs for user, session_auth, token_auth and mfa_authenticator", async () => {
      const url = await freshDatabaseUrl(engine);
      await migrateForwards("all", { database: url });
      const db = await openDatabase(url);
      const ours = (await raw(db, "SELECT app_name, name FROM migration ORDER BY id")).map((r) => `${r.app_name} ${r.name}`);
      const python = pythonMigrationRows(engine === "postgres" ? "postgres" : "sqlite").map((r) => `${r.app} ${r.id}`);
      for (const row of python) assert.ok(ours.includes(row), `${row} is recorded`);
      // Every ID of these apps that Python does not know is piccolo-ts's own, dated after Python's.
      const extra = ours.filter((row) => PYTHON_APPS.some((app) => row.startsWith(`${app} `)) && !python.includes(row));
      assert.deepEqual(extra, ["session_auth 2026-12-01T14:40:00", "session_auth 2026-12-06T17:30:00", "token_auth 2026-12-06T17:30:00", "mfa_authenticator 2026-12-06T17:30:00"]);
    });

    it("creates token_auth and authenticator_secret with Python's columns, a cascading foreign key and the lookup indexes", async () => {
      const url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      for (const app of [sessionAuthApp, tokenAuthApp, mfaAuthenticatorApp]) await migrateForwards(app, { database: url });
      const db = await openDatabase(url);
      if (engine === "mysql") {
        assert.deepEqual(await describeTable(db, "token_auth"), MYSQL_TABLES.token_auth);
        // MariaDB reports a DEFAULT NULL as the text NULL and expressions in lower case.
        const norm = (rows: unknown[][]) => rows.map((c) => [c[0], c[1], c[2], c[3] === null ? "NULL" : String(c[3]).toLowerCase().replace("null", "NULL")]);
        assert.deepEqual(norm(await describeTable(db, "authenticator_secret")), norm(MYSQL_TABLES.authenticator_secret!));
        assert.deepEqual(await foreignKeys(db, "token_auth"), ["token_auth_user_fkey: user -> piccolo_user CASCADE/CASCADE"]);
      } else if (engine === "postgres") {
        assert.deepEqual(await foreignKeys(db, "token_auth"), [
          'token_auth_user_fkey: FOREIGN KEY ("user") REFERENCES piccolo_user(id) ON UPDATE CASCADE ON DELETE CASCADE',
        ]);
      } else {
        assert.deepEqual(await foreignKeys(db, "token_auth"), ["user -> piccolo_user.id CASCADE/CASCADE"]);
      }
      assert.deepEqual(await indexedColumns(db, "token_auth"), engine === "mysql" ? ["token", "user"] : ["token"]);
      assert.deepEqual(await indexedColumns(db, "authenticator_secret"), ["user_id"]);
      // No DEFAULT on the token: a row inserted without one fails instead of sharing a baked-in value.
      await assert.rejects(sql`INSERT INTO token_auth ("user") VALUES (NULL)`.execute(db.kysely).catch((error) => {
        // MySQL quotes identifiers with backticks; the point is the same.
        if (engine === "mysql") return sql`INSERT INTO token_auth (\`user\`) VALUES (NULL)`.execute(db.kysely);
        throw error;
      }));
    });

    it("backwards all drops the new tables, forwards again recreates them", async () => {
      const url = await freshDatabaseUrl(engine);
      await migrateForwards("all", { database: url });
      await migrateBackwards("mfa_authenticator", { database: url, migrationId: "all" });
      await migrateBackwards("token_auth", { database: url, migrationId: "all" });
      const status = await migrationStatus({ database: url });
      assert.ok(status.filter((m) => m.app === "token_auth" || m.app === "mfa_authenticator").every((m) => !m.ran));
      const again = await migrateForwards("all", { database: url });
      assert.deepEqual(again.apps.find((a) => a.app === "token_auth")?.applied, tokenAuthApp.migrations.map((m) => m.id));
    });

    if (engine === "mysql") return;
    const pythonEngine = engine;

    it("a database Python migrated (its DDL and its migration rows) is seen as done, and its tables match ours", async () => {
      const pythonUrl = await freshDatabaseUrl(engine);
      const pythonDb = await openDatabase(pythonUrl);
      const ddl = vectors.migration_sql_preview[pythonEngine];
      await sql.raw(pythonEngine === "sqlite" ? vectors.ddl.sqlite_master.migration! : `CREATE TABLE "migration" ("id" SERIAL PRIMARY KEY NOT NULL, "name" VARCHAR(200) NOT NULL DEFAULT '', "app_name" VARCHAR(200) NOT NULL DEFAULT '', "ran_on" TIMESTAMP NOT NULL DEFAULT current_timestamp)`).execute(pythonDb.kysely);
      for (const { app, id, ranOn } of pythonMigrationRows(pythonEngine)) {
        for (const statement of ddl[app]![id]!) await sql.raw(statement.replace(/;$/, "")).execute(pythonDb.kysely);
        await sql`INSERT INTO migration (name, app_name, ran_on) VALUES (${id}, ${app}, ${ranOn})`.execute(pythonDb.kysely);
      }

      const status = await migrationStatus({ database: pythonUrl });
      for (const { app, id } of pythonMigrationRows(pythonEngine)) {
        assert.equal(status.find((m) => m.app === app && m.id === id)?.ran, true, `${app} ${id} is done`);
      }
      const result = await migrateForwards("all", { database: pythonUrl });
      const applied = Object.fromEntries(result.apps.map((a) => [a.app, a.applied]));
      assert.deepEqual(applied.user, []);
      assert.deepEqual(applied.session_auth, ["2026-12-01T14:40:00", "2026-12-06T17:30:00"]);
      assert.deepEqual(applied.token_auth, ["2026-12-06T17:30:00"]);
      assert.deepEqual(applied.mfa_authenticator, ["2026-12-06T17:30:00"]);

      const oursUrl = await freshDatabaseUrl(engine);
      await migrateForwards("all", { database: oursUrl });
      const oursDb = await openDatabase(oursUrl);
      // Python's token DEFAULT is a UUID baked in at migration time, its secret's is '' (ours: none, see
      // user/api-tokens/migrations.ts); its sessions' date defaults are unused (both tools write the dates).
      const ignore = ["token", "secret", "expiry_date", "max_expiry_date"];
      for (const table of ["sessions", "token_auth", "authenticator_secret"]) {
        assert.deepEqual(await describeTable(oursDb, table, ignore), await describeTable(pythonDb, table, ignore), table);
      }
      assert.deepEqual(await foreignKeys(oursDb, "token_auth"), await foreignKeys(pythonDb, "token_auth"));
    });
  });
}
