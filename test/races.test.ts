// @variants: galera (the runner also runs these on the Galera cluster, through a multi-host URL)
// Races, on every engine: concurrent creates of one username (and of one email), password changes racing
// logins (including the logins' own hash upgrades), concurrent first logins that all upgrade the same
// hash, and two `piccolo migrations forwards user` processes started at the same moment.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BaseUser,
  UserExistsError,
  closeDatabases,
  connect,
  migrateForwards,
  parseDatabaseUrl,
  parseStoredHash,
  verifyPassword,
  type Database,
} from "piccolo-ts";
import { piccolo } from "./support/cli.js";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";

after(async () => {
  await closeDatabases();
});

for (const engine of testEngines) {
  // A race that deadlocks or spins must fail, not hang the suite.
  describe(`races on ${engine}`, { timeout: 180_000 }, () => {
    let url: string;
    let db: Database;
    class T extends BaseUser {
      static override iterations = 1;
    }
    const warnings: string[] = [];

    before(async () => {
      url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      T.database = url;
      T.logger = { warn: (message) => warnings.push(message) };
      db = await connect(parseDatabaseUrl(url));
    });
    after(async () => {
      await db?.close();
    });

    const storedHash = async (id: number) =>
      String((await db.kysely.selectFrom("piccolo_user").select("password").where("id", "=", id).executeTakeFirstOrThrow()).password);
    const count = async (column: "username" | "email", value: string) =>
      Number(
        (await db.kysely.selectFrom("piccolo_user").select((eb) => eb.fn.countAll().as("n")).where(column, "=", value).executeTakeFirstOrThrow()).n,
      );

    test("50 concurrent createUser with one username: exactly one row, 49 UserExistsError (username)", async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => T.createUser({ username: "racer", password: `pass-${i}-word`, email: `racer${i}@example.com` })),
      );
      const created = results.filter((r) => r.status === "fulfilled");
      assert.equal(created.length, 1, "exactly one create succeeds");
      for (const r of results) {
        if (r.status === "rejected") {
          assert.ok(r.reason instanceof UserExistsError, `not a UserExistsError: ${String(r.reason)}`);
          assert.equal(r.reason.field, "username");
        }
      }
      assert.equal(await count("username", "racer"), 1);
      // The row is the winner's, whole: its email and password belong to the same call.
      const winner = (created[0] as PromiseFulfilledResult<{ id: number; email: string }>).value;
      const i = Number(/^racer(\d+)@/.exec(winner.email)?.[1]);
      assert.equal(await T.login("racer", `pass-${i}-word`), winner.id);
    });

    test("50 concurrent createUser with one email: exactly one row, 49 UserExistsError (email)", async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => T.createUser({ username: `mail-racer-${i}`, password: "abc123", email: "same@example.com" })),
      );
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of results) {
        if (r.status === "rejected") {
          assert.ok(r.reason instanceof UserExistsError, `not a UserExistsError: ${String(r.reason)}`);
          assert.equal(r.reason.field, "email");
        }
      }
      assert.equal(await count("email", "same@example.com"), 1);
    });

    test("updatePassword racing logins (which upgrade the hash): every login works with the old or the new password, the hash is always one of them, the change is never undone", async () => {
      // Logins use another iteration count than the updates, so each successful one rewrites the hash:
      // the race that could put the old password back after a change.
      class Login extends BaseUser {
        static override iterations = 2;
      }
      Login.database = url;
      Login.logger = T.logger;
      const passwords = Array.from({ length: 9 }, (_, i) => `round-${i}-password`);
      const user = await T.createUser({ username: "changing", password: passwords[0]!, email: "changing@example.com" });
      for (let round = 0; round + 1 < passwords.length; round++) {
        const [old, next] = [passwords[round]!, passwords[round + 1]!];
        let updating = true;
        const seen = new Set<string>();
        const poller = (async () => {
          while (updating) {
            // A macrotask between reads: SQLite answers within microtasks, and would starve the timers.
            await new Promise((resolve) => setImmediate(resolve));
            const hash = await storedHash(user.id);
            seen.add(hash);
            assert.ok(parseStoredHash(hash), `round ${round}: a stored value that is not a hash`);
          }
        })();
        const logins = Array.from({ length: 24 }, async (_, i) => {
          await new Promise((resolve) => setTimeout(resolve, i % 6));
          // The old password, then the new one: the change happens once, so one of the two must work.
          const id = (await Login.login("changing", old)) ?? (await Login.login("changing", next));
          assert.equal(id, user.id, `round ${round}: login ${i} failed with both the old and the new password`);
        });
        const update = (async () => {
          await new Promise((resolve) => setTimeout(resolve, 2));
          await T.updatePassword("changing", next);
        })();
        try {
          await Promise.all([update, ...logins]);
        } finally {
          updating = false;
          await poller;
        }
        for (const hash of seen) {
          const matches = [(await verifyPassword(old, hash)) ? "old" : "", (await verifyPassword(next, hash)) ? "new" : ""].filter(Boolean);
          assert.equal(matches.length, 1, `round ${round}: a stored hash that is neither password (or both): ${matches.join(",")}`);
        }
        const final = await storedHash(user.id);
        assert.ok(await verifyPassword(next, final), `round ${round}: the password change was undone by a racing login`);
        assert.equal(await Login.login("changing", old), null, `round ${round}: the old password still works`);
      }
    });

    test("30 concurrent first logins that upgrade the hash: all succeed, one valid hash with the new count remains", async () => {
      class Old extends BaseUser {
        static override iterations = 1000;
      }
      class New extends BaseUser {
        static override iterations = 1500;
      }
      Old.database = New.database = url;
      New.logger = T.logger;
      const user = await Old.createUser({ username: "upgrader", password: "upgrade-me", email: "upgrader@example.com" });
      assert.equal(parseStoredHash(await storedHash(user.id))?.iterations, 1000);
      const results = await Promise.all(Array.from({ length: 30 }, () => New.login("upgrader", "upgrade-me")));
      assert.deepEqual(results, Array(30).fill(user.id), "every login succeeds");
      const hash = await storedHash(user.id);
      assert.equal(parseStoredHash(hash)?.iterations, 1500, "the hash was upgraded");
      assert.ok(await verifyPassword("upgrade-me", hash), "the upgraded hash verifies");
      assert.equal(await count("username", "upgrader"), 1);
      // And it keeps working from both classes.
      assert.equal(await Old.login("upgrader", "upgrade-me"), user.id);
    });

    test("two `piccolo migrations forwards user` processes at once, three times over: one table set, three migration rows", async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const target = await freshDatabaseUrl(engine);
        const [a, b] = await Promise.all([
          piccolo(["--db", target, "migrations", "forwards", "user"], { timeoutMs: 120_000 }),
          piccolo(["--db", target, "migrations", "forwards", "user"], { timeoutMs: 120_000 }),
        ]);
        for (const result of [a, b]) assert.equal(result.code, 0, `exit ${result.code}\n${result.stdout}\n${result.stderr}`);
        const check = await connect(parseDatabaseUrl(target));
        try {
          const rows = await check.kysely.selectFrom("migration").select(["name", "app_name"]).where("app_name", "=", "user").execute();
          assert.deepEqual(
            rows.map((row) => row.name).sort(),
            ["2019-11-14T21:52:21", "2020-06-11T21:38:55", "2021-04-30T16:14:15"],
            `attempt ${attempt}: not exactly the three migrations, once each`,
          );
          // Every column is there (the table was made once, completely) and it works.
          const columns = Object.keys(
            (await check.kysely.selectFrom("piccolo_user").selectAll().limit(1).execute())[0] ?? {},
          );
          assert.equal(columns.length, 0, "the new table is empty");
          class Check extends BaseUser {
            static override iterations = 1;
          }
          Check.database = target;
          const made = await Check.createUser({ username: "after-race", password: "abc123", email: "after@example.com", firstName: "A" });
          assert.equal(await Check.login("after-race", "abc123"), made.id);
          const row = await check.kysely.selectFrom("piccolo_user").selectAll().executeTakeFirstOrThrow();
          assert.deepEqual(
            Object.keys(row).sort(),
            ["active", "admin", "email", "first_name", "id", "last_login", "last_name", "password", "superuser", "username"],
          );
          // Between them, the two processes ran each migration exactly once.
          // (A process prints "Running <id>" as it starts one, then "<id> was run meanwhile…" if the other won.)
          const lines = [a, b].flatMap((result) => result.stdout.split("\n"));
          const started = lines.filter((line) => line.startsWith("Running ")).length;
          const skipped = lines.filter((line) => line.includes(" was run meanwhile by another process")).length;
          assert.equal(started - skipped, 3, `each migration ran once in all:\n${a.stdout}\n---\n${b.stdout}`);
        } finally {
          await check.close();
        }
      }
    });
  });
}
