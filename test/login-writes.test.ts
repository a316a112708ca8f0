// Issue 24: a login answers after its one SELECT and its hash; its last_login is written just after,
// the writes pending together in one autocommit UPDATE … WHERE id IN (…), with no transaction held. These
// tests prove the write is never lost (reads, settleLogins and close wait for it), that concurrent logins
// share statements, that a locked row delays the write and not the answer (loginSync's included), and that
// a failed write is logged without a value and never rejects.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { KyselyPlugin } from "kysely";
import mysql from "mysql2/promise";
import pg from "pg";
import { BaseUser, closeDatabases, connect, parseDatabaseUrl, type Database } from "piccolo-ts";
import { countingDatabase } from "./support/counting.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";

after(async () => {
  await closeDatabases();
});

/** A session of the test's own holding a write lock on one user's row (an open transaction that updated it). */
async function lockUserRow(url: string, id: number): Promise<{ release(): Promise<void> }> {
  if (url.startsWith("postgres")) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("BEGIN");
    await client.query('UPDATE "piccolo_user" SET first_name = $1 WHERE id = $2', ["locked", id]);
    return { release: async () => void (await client.query("COMMIT"), await client.end()) };
  }
  const connection = await mysql.createConnection({ uri: url });
  await connection.query("START TRANSACTION");
  await connection.query("UPDATE `piccolo_user` SET first_name = ? WHERE id = ?", ["locked", id]);
  return { release: async () => void (await connection.query("COMMIT"), await connection.end()) };
}

/**
 * Another process holding a write lock on one user's row for `holdMs`, then committing on its own: a
 * call that blocks this thread until the lock goes (old code's loginSync) returns late instead of hanging.
 */
async function lockUserRowFor(url: string, id: number, holdMs: number): Promise<{ released: Promise<unknown> }> {
  const { engine, filename } = parseDatabaseUrl(url);
  const lock = {
    sqlite: `const db = new (await import("better-sqlite3")).default(${JSON.stringify(filename)});
      db.exec("BEGIN IMMEDIATE"); db.prepare("UPDATE piccolo_user SET first_name = ? WHERE id = ?").run("locked", ${id});
      const commit = async () => db.exec("COMMIT");`,
    postgres: `const client = new (await import("pg")).default.Client({ connectionString: ${JSON.stringify(url)} });
      await client.connect(); await client.query("BEGIN");
      await client.query('UPDATE "piccolo_user" SET first_name = $1 WHERE id = $2', ["locked", ${id}]);
      const commit = async () => { await client.query("COMMIT"); await client.end(); };`,
    mysql: `const connection = await (await import("mysql2/promise")).default.createConnection({ uri: ${JSON.stringify(url)} });
      await connection.query("START TRANSACTION");
      await connection.query("UPDATE piccolo_user SET first_name = ? WHERE id = ?", ["locked", ${id}]);
      const commit = async () => { await connection.query("COMMIT"); await connection.end(); };`,
  }[engine];
  const script = `${lock}\nconsole.log("locked");\nsetTimeout(() => commit().then(() => console.log("released")), ${holdMs});`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = once(child, "exit");
  const [chunk] = (await Promise.race([once(child.stdout, "data"), exited.then(() => [""])])) as [Buffer | string];
  assert.match(String(chunk), /^locked/, "the lock holder took its lock");
  return { released: exited };
}

for (const engine of testEngines) {
  describe(`a login's last_login on ${engine}`, () => {
    let url: string;
    let db: Database;
    class Quick extends BaseUser {
      static override iterations = 1000;
    }
    before(async () => {
      url = await migratedDatabaseUrl(engine);
      Quick.database = url;
      db = await connect(parseDatabaseUrl(url));
      for (let i = 0; i < 30; i++) await Quick.createUser({ username: `writer${i}`, password: `writer-pass${i}`, email: `writer${i}@example.com` });
    });
    after(async () => {
      await db.close();
    });

    const lastLogin = async (username: string) =>
      (await db.kysely.selectFrom("piccolo_user").select("last_login").where("username", "=", username).executeTakeFirstOrThrow()).last_login;

    test("is seen by getUser and by a query after settleLogins, right after the login", async () => {
      const id = await Quick.login("writer0", "writer-pass0");
      assert.equal(typeof id, "number");
      assert.ok((await Quick.getUser(id!))?.lastLogin instanceof Date, "getUser waits for the user's write");
      assert.equal(await Quick.login("writer1", "writer-pass1"), (await Quick.getUser("writer1"))!.id);
      await Quick.settleLogins();
      assert.notEqual(await lastLogin("writer1"), null);
    });

    test("is written before a database's close() ends its pool", async () => {
      const own = await connect(parseDatabaseUrl(url));
      class Closing extends BaseUser {
        static override iterations = 1000;
      }
      Closing.database = own;
      assert.equal(typeof (await Closing.login("writer2", "writer-pass2")), "number");
      await own.close(); // nothing awaited the write before this
      assert.notEqual(await lastLogin("writer2"), null);
    });

    test("30 parallel logins share UPDATE statements, and every one of them is written", async () => {
      const { database, queries } = await countingDatabase(db);
      class Counted extends BaseUser {
        static override iterations = 1000;
      }
      Counted.database = database;
      const names = Array.from({ length: 30 }, (_, i) => `writer${i}`);
      await db.kysely.updateTable("piccolo_user").set({ last_login: null }).execute();
      const ids = await Promise.all(names.map((name, i) => Counted.login(name, `writer-pass${i}`)));
      assert.ok(ids.every((id) => typeof id === "number"));
      await Counted.settleLogins();
      const updates = queries.filter((kind) => kind === "UpdateQueryNode").length;
      assert.equal(queries.filter((kind) => kind === "SelectQueryNode").length, 30, "one SELECT a login");
      assert.ok(updates >= 1 && updates < 30, `${updates} UPDATE statements for 30 logins`);
      for (const name of names) assert.notEqual(await lastLogin(name), null, name);
    });

    test("a failed write is logged (the user's id, no value) and rejects nothing", async () => {
      const failing: KyselyPlugin = {
        transformQuery(args) {
          if (args.node.kind === "UpdateQueryNode") throw new Error("refused by the test: writer-pass3");
          return args.node;
        },
        async transformResult(args) {
          return args.result;
        },
      };
      const database = Object.create(db, { kysely: { value: db.kysely.withPlugin(failing) } }) as Database;
      const warnings: string[] = [];
      class Failing extends BaseUser {
        static override iterations = 1000;
        static override logger = { warn: (message: string) => void warnings.push(message) };
      }
      Failing.database = database;
      const id = await Failing.login("writer3", "writer-pass3");
      assert.equal(typeof id, "number", "the login still answers");
      await Failing.settleLogins();
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.match(warnings[0]!, new RegExp(`^Recording the login of user ${id} failed \\(.*\\); last_login was not written\\.$`));
      assert.ok(!warnings[0]!.includes("writer-pass3"));
    });

    test("loginSync answers before its write too, and this thread's reads wait for the worker's write", { timeout: 60_000 }, async () => {
      const user = (await Quick.getUser("writer6"))!;
      await db.kysely.updateTable("piccolo_user").set({ last_login: null }).where("id", "=", user.id).execute();
      const lock = await lockUserRowFor(url, user.id, 3000);
      // The worker's UPDATE waits for the lock; on old code loginSync waited with it, and came back with the row written.
      assert.equal(Quick.loginSync("writer6", "writer-pass6"), user.id);
      assert.equal(await lastLogin("writer6"), null, "loginSync answered before its last_login write");
      let done = false;
      const read = Quick.getUser(user.id).then((found) => ((done = true), found));
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(done, false, "this thread's read of the user waits for the worker's write");
      const found = await read;
      assert.ok(found?.lastLogin instanceof Date);
      assert.equal(found.firstName, "locked", "the read came after the lock holder's commit");
      await lock.released;
    });

    if (engine !== "sqlite") {
      test("a row locked by another transaction delays the write, not the answer; nothing deadlocks", { timeout: 60_000 }, async () => {
        const user = (await Quick.getUser("writer4"))!;
        await db.kysely.updateTable("piccolo_user").set({ last_login: null }).where("id", "=", user.id).execute();
        const lock = await lockUserRow(url, user.id);
        let read: Promise<unknown> | undefined;
        try {
          // The UPDATE waits for the lock; the login (on old code, holding it too) must answer meanwhile.
          assert.equal(await Quick.login("writer4", "writer-pass4"), user.id);
          assert.equal(typeof (await Quick.login("writer5", "writer-pass5")), "number", "another user's login answers too");
          let done = false;
          read = Quick.getUser(user.id).then((found) => ((done = true), found));
          await new Promise((resolve) => setTimeout(resolve, 200));
          assert.equal(done, false, "the user's own read waits for the write");
        } finally {
          await lock.release();
        }
        const found = (await read) as Awaited<ReturnType<typeof Quick.getUser>>;
        assert.ok(found?.lastLogin instanceof Date);
        assert.equal(found.firstName, "locked");
      });
    }
  });
}
