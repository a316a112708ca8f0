// SQLite URL options (`sqlite:app.sqlite?journal_mode=wal`) and the statement reuse on SQLite
// connections (src/engine/sqlite-options.ts). SQLite only: the options belong to its URLs.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { BaseUser, closeDatabases, ConfigError, migrateForwards, parseDatabaseUrl } from "piccolo-ts";
import type * as SqliteOptionsModule from "../dist/engine/sqlite-options.js";
import { piccolo } from "./support/cli.js";
import { tempDir } from "./support/engines.js";

const BetterSqlite3 = createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");
const { reusePreparedStatements } = (await import(new URL("../../dist/engine/sqlite-options.js", import.meta.url).href)) as typeof SqliteOptionsModule;

after(async () => {
  await closeDatabases();
});

/** The journal mode the file itself records, read by a connection of its own. */
function journalMode(file: string): string {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return String(db.pragma("journal_mode", { simple: true }));
  } finally {
    db.close();
  }
}

test("journal_mode=wal in a sqlite: URL puts the file in WAL mode; the file is named without the options", async () => {
  const dir = tempDir();
  const file = path.join(dir, "app.sqlite");
  const url = `sqlite:${file}?journal_mode=wal&synchronous=normal`;
  class WalUser extends BaseUser {
    static override database = url;
    static override iterations = 1000;
  }
  await migrateForwards("user", { database: url });
  const created = await WalUser.createUser({ username: "wally", password: "wal-pass-1", email: "wally@example.com", active: true });
  assert.ok(existsSync(file), "app.sqlite itself");
  assert.ok(!existsSync(`${file}?journal_mode=wal&synchronous=normal`));
  assert.ok(existsSync(`${file}-wal`), "the write-ahead log beside it");
  assert.equal(journalMode(file), "wal");
  assert.equal(await WalUser.login("wally", "wal-pass-1"), created.id, "a login (reads and writes last_login)");
  assert.deepEqual((await WalUser.listUsers()).map((user) => user.username), ["wally"]);
  await closeDatabases();

  // Without the option a file keeps its mode; journal_mode=delete switches it back.
  const plain = path.join(dir, "plain.sqlite");
  await migrateForwards("user", { database: `sqlite:${plain}` });
  assert.equal(journalMode(plain), "delete");
  await migrateForwards("user", { database: `sqlite:${file}?journal_mode=delete` });
  await closeDatabases();
  assert.equal(journalMode(file), "delete");
  assert.ok(!existsSync(`${file}-wal`));
});

test("an unknown SQLite URL option or value is a ConfigError naming what is accepted, in the API and the CLI", async () => {
  assert.throws(() => parseDatabaseUrl("sqlite:app.sqlite?journal=wal"), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /unknown option "journal": the options are journal_mode, synchronous/);
    return true;
  });
  assert.throws(() => parseDatabaseUrl("sqlite:app.sqlite?journal_mode=fast"), {
    message: 'The SQLite URL option journal_mode must be one of wal, delete, truncate, persist, not "fast".',
  });
  assert.deepEqual(parseDatabaseUrl("sqlite:app.sqlite?journal_mode=WAL", "argument", "/srv").sqlite, { journalMode: "wal" });
  assert.equal(parseDatabaseUrl("sqlite:app.sqlite?journal_mode=wal", "argument", "/srv").filename, "/srv/app.sqlite");
  assert.equal(parseDatabaseUrl("sqlite:app.sqlite", "argument", "/srv").sqlite, undefined);

  const cwd = tempDir();
  const result = await piccolo(["--db", "sqlite:app.sqlite?journal_mode=fast", "user", "list"], { cwd });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /The SQLite URL option journal_mode must be one of wal, delete, truncate, persist, not "fast"/);
  assert.ok(!existsSync(path.join(cwd, "app.sqlite")), "nothing opened");
});

test("SQLite connections hand back the statement prepared before for the same SQL, unless it is busy", () => {
  const db = reusePreparedStatements(new BetterSqlite3(":memory:"));
  try {
    db.exec("CREATE TABLE t (n INTEGER)");
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    for (let n = 1; n <= 5; n++) assert.equal(db.prepare("INSERT INTO t VALUES (?)"), insert);
    for (let n = 1; n <= 5; n++) db.prepare("INSERT INTO t VALUES (?)").run(n);
    const select = db.prepare("SELECT n FROM t ORDER BY n");
    const seen: number[] = [];
    for (const row of select.iterate() as Iterable<{ n: number }>) {
      // The kept statement is iterating: the same SQL now gets a fresh one, which runs on its own.
      const inner = db.prepare("SELECT n FROM t ORDER BY n");
      assert.notEqual(inner, select);
      assert.equal((inner.all() as unknown[]).length, 5);
      seen.push(row.n);
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    assert.equal(db.prepare("SELECT n FROM t ORDER BY n"), select, "kept again once done");
    // At most 100 are kept: the least recently used goes first.
    for (let i = 0; i < 100; i++) db.prepare(`SELECT ${i}`);
    assert.notEqual(db.prepare("INSERT INTO t VALUES (?)"), insert);
  } finally {
    db.close();
  }
});
