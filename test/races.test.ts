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
  verifyPassword,
  type Database,
} from "piccolo-ts";
import { parseStoredHash } from "./support/internals.js";
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

    test("updatePassword racing logins (which upgrade the hash): every login works with the old or the new password, the hash is always one of them, the change is never undone", async (t) => {
      // Logins use another iteration count than the updates, so each successful one rewrites the hash:
      // the race that could put the old password back after a change.
      class Login extends BaseUser {
        static override iterations = 2;
      }
      Login.database = url;
      Login.logger = T.logger;
      // At least 8 rounds; more (up to 24) while the dangerous order has not been seen yet: it depends on
      // timing, and a loaded machine or a slow cluster can go 8 rounds without it.
      const passwords = Array.from({ length: 25 }, (_, i) => `round-${i}-password`);
      const user = await T.createUser({ username: "changing", password: passwords[0]!, email: "changing@example.com" });
      // Proof that the calls overlapped: logins that started before the change was stored, succeeded with
      // the old password and ended after the change had begun (straddled), some of them after it was stored
      // (crossed: they read the old hash, then wrote their login after the new hash was in place).
      let straddled = 0;
      let crossed = 0;
      let roundsWithBoth = 0;
      for (let round = 0; round + 1 < passwords.length && (round < 8 || crossed === 0 || straddled === 0); round++) {
        const [old, next] = [passwords[round]!, passwords[round + 1]!];
        let updateStarted = false;
        let updateDone = false;
        let withOld = 0;
        let withNew = 0;
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
          const startedBeforeChange = !updateDone;
          const viaOld = await Login.login("changing", old);
          if (viaOld !== null) {
            withOld++;
            if (startedBeforeChange && updateStarted) straddled++;
            // Read the old hash before the change was stored, wrote its login after: the dangerous order.
            if (startedBeforeChange && updateDone) crossed++;
          }
          const id = viaOld ?? (await Login.login("changing", next));
          if (viaOld === null && id !== null) withNew++;
          assert.equal(id, user.id, `round ${round}: login ${i} failed with both the old and the new password`);
        });
        const update = (async () => {
          await new Promise((resolve) => setTimeout(resolve, 2));
          updateStarted = true;
          await T.updatePassword("changing", next);
          updateDone = true;
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
        if (withOld > 0 && withNew > 0) roundsWithBoth++;
      }
      t.diagnostic(`old-password logins overlapping the change: ${straddled}, finishing after it: ${crossed}; rounds with both: ${roundsWithBoth}`);
      assert.ok(straddled > 0, "no login with the old password was still running when the change began: the calls never overlapped");
      assert.ok(crossed > 0, "no login read the old hash before the change and finished after it: the dangerous order never happened");
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
          // The table was made once, completely (every column, as the schema says), holds no row, and works.
          const table = (await check.kysely.introspection.getTables()).find((t) => t.name === "piccolo_user");
          assert.ok(table, `attempt ${attempt}: no piccolo_user table`);
          assert.deepEqual(
            table.columns.map((column) => column.name).sort(),
            ["active", "admin", "email", "first_name", "id", "last_login", "last_name", "password", "superuser", "username"],
            `attempt ${attempt}: the table's columns`,
          );
          assert.deepEqual(await check.kysely.selectFrom("piccolo_user").selectAll().execute(), [], `attempt ${attempt}: the new table is empty`);
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
