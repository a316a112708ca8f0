// Case-insensitive usernames (opt-in): the user_case_insensitive migration, the lookups, the unique
// index deciding races, and the CLI following the database's mode, on every engine.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BaseUser,
  closeDatabases,
  connect,
  foldUsername,
  migrateForwards,
  migrateBackwards,
  parseDatabaseUrl,
  UserExistsError,
  type Database,
} from "piccolo-ts";
import { piccolo } from "./support/cli.js";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";

test("folding is NFKC plus case folding, and folding a folded name changes nothing", () => {
  assert.equal(foldUsername("ａｄｍｉｎ"), "admin"); // fullwidth
  assert.equal(foldUsername("ＡＤＭＩＮ"), "admin");
  assert.equal(foldUsername("ﬁle"), "file"); // ligature
  assert.equal(foldUsername("Ⅸ"), "ix"); // roman numeral
  assert.equal(foldUsername("ẞ"), foldUsername("ss")); // capital sharp s → ß → ss
  for (let point = 0; point < 0x30000; point++) {
    if (point >= 0xd800 && point < 0xe000) continue;
    const folded = foldUsername(String.fromCodePoint(point));
    assert.equal(foldUsername(folded), folded, `U+${point.toString(16)}`);
  }
});

test("folding: case, accents composed or not, ß/SS and final sigma compare equal; İ stays apart from i", () => {
  assert.equal(foldUsername("ÉLODIE"), foldUsername("élodie"));
  assert.equal(foldUsername("E\u0301lodie"), foldUsername("Élodie")); // decomposed é
  assert.equal(foldUsername("STRASSE"), foldUsername("straße"));
  assert.equal(foldUsername("ΣΑΣ"), foldUsername("σασ"));
  assert.equal(foldUsername("BOB"), "bob");
  assert.notEqual(foldUsername("İ"), foldUsername("i"));
  assert.notEqual(foldUsername("bob"), foldUsername("bob2"));
});

after(async () => {
  await closeDatabases();
});

for (const engine of testEngines) {
  describe(`case-insensitive usernames on ${engine}`, () => {
    let url: string;
    let db: Database;
    class FoldedUser extends BaseUser {
      static override iterations = 1000;
      static override caseInsensitiveUsernames = true;
    }

    const columns = async () => {
      const tables = await db.kysely.introspection.getTables();
      return tables.find((table) => table.name === "piccolo_user")!.columns.map((column) => column.name);
    };

    before(async () => {
      url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      FoldedUser.database = url;
      db = await connect(parseDatabaseUrl(url));
    });
    after(async () => {
      await db.close();
    });

    test("forwards all leaves the opt-in app alone", async () => {
      await migrateForwards("all", { database: url });
      assert.ok(!(await columns()).includes("username_folded"));
    });

    test("the migration refuses, listing every collision, and changes nothing; user check lists them first", async () => {
      for (const [username, email] of [["bob", "bob@example.com"], ["Bob", "b1@example.com"], ["ÉLODIE", "e1@example.com"], ["élodie", "e2@example.com"], ["carol", "c@example.com"]]) {
        await db.kysely.insertInto("piccolo_user").values({ username, email, password: "x", first_name: "", last_name: "" }).execute();
      }
      const check = await piccolo(["--db", url, "user", "check", "--json"]);
      const groups = JSON.parse(check.stdout).caseCollisions as { id: number; username: string }[][];
      assert.deepEqual(
        groups.map((group) => group.map((row) => row.username)),
        [["bob", "Bob"], ["ÉLODIE", "élodie"]],
      );

      await assert.rejects(migrateForwards("user_case_insensitive", { database: url }), (error: Error) => {
        assert.match(error.message, /"bob" \(id \d+\), "Bob" \(id \d+\)/);
        assert.match(error.message, /"ÉLODIE" \(id \d+\), "élodie" \(id \d+\)/);
        return true;
      });
      assert.ok(!(await columns()).includes("username_folded"), "the refusal left a column behind");
      const ran = await db.kysely.selectFrom("migration").select("name").where("app_name", "=", "user_case_insensitive").execute();
      assert.deepEqual(ran, []);
    });

    test("after renaming, it runs: every existing name is folded, and the index refuses a colliding row", async () => {
      await db.kysely.updateTable("piccolo_user").set({ username: "bob_two" }).where("username", "=", "Bob").execute();
      await db.kysely.updateTable("piccolo_user").set({ username: "elodie_two" }).where("username", "=", "élodie").execute();
      await migrateForwards("user_case_insensitive", { database: url });
      const rows = await db.kysely.selectFrom("piccolo_user").select(["username", "username_folded"]).execute();
      for (const row of rows) assert.equal(row.username_folded, foldUsername(String(row.username)));
      // The database itself enforces it, whoever writes.
      await assert.rejects(
        db.kysely
          .insertInto("piccolo_user")
          .values({ username: "BOB", email: "raw@example.com", password: "x", username_folded: "bob", first_name: "", last_name: "" })
          .execute(),
      );
    });

    test("createUser refuses a name that differs only in case, with UserExistsError", async () => {
      await assert.rejects(FoldedUser.createUser({ username: "BOB", password: "abc123", email: "new@example.com" }), (error: unknown) => {
        assert.ok(error instanceof UserExistsError);
        assert.equal(error.field, "username");
        return true;
      });
      await assert.rejects(FoldedUser.createUser({ username: "E\u0301lodie", password: "abc123", email: "el@example.com" }), UserExistsError);
    });

    test("login, getUser, updatePassword and changePermissions find bob by BOB, and ÉLODIE by élodie", async () => {
      const user = await FoldedUser.createUser({ username: "Dave", password: "abc123", email: "dave@example.com" });
      assert.equal((await FoldedUser.getUser("DAVE"))?.id, user.id);
      assert.equal((await FoldedUser.getUser("dave"))?.username, "Dave");
      assert.equal(await FoldedUser.login("dAVE", "abc123"), user.id);
      await FoldedUser.updatePassword("DAVE", "newpass1");
      assert.equal(await FoldedUser.login("dave", "newpass1"), user.id);
      assert.equal((await FoldedUser.changePermissions("DaVe", { admin: true })).admin, true);
      const elodie = await FoldedUser.getUser("élodie");
      assert.equal(elodie?.username, "ÉLODIE");
      // Without the opt-in, names stay exact.
      class ExactUser extends FoldedUser {
        static override caseInsensitiveUsernames = false;
      }
      assert.equal(await ExactUser.getUser("DAVE"), null);
      assert.equal(await ExactUser.login("dave", "newpass1"), null);
    });

    test("racing creates of names equal but for case: exactly one row, the others UserExistsError", async () => {
      const names = ["Racer", "racer", "RACER", "rAcEr", "RaCeR", "racER"];
      const spans: { start: number; end: number }[] = [];
      const results = await Promise.allSettled(
        names.map(async (username, index) => {
          const start = performance.now();
          try {
            return await FoldedUser.createUser({ username, password: "abc123", email: `racer${index}@example.com` });
          } finally {
            spans.push({ start, end: performance.now() });
          }
        }),
      );
      // The calls overlapped: every one started before the first one finished.
      const firstEnd = Math.min(...spans.map((span) => span.end));
      assert.ok(spans.every((span) => span.start < firstEnd), "the creates ran one after another");
      assert.equal(results.filter((result) => result.status === "fulfilled").length, 1);
      for (const result of results) {
        if (result.status === "rejected") assert.ok(result.reason instanceof UserExistsError, String(result.reason));
      }
      const rows = await db.kysely.selectFrom("piccolo_user").select("id").where("username_folded", "=", "racer").execute();
      assert.equal(rows.length, 1);
    });

    test("the CLI follows the database: change_permissions and change_password find dave by DAVE", async () => {
      const perms = await piccolo(["--db", url, "user", "change_permissions", "DAVE", "--superuser=t"]);
      assert.equal(perms.code, 0, perms.all);
      assert.equal((await FoldedUser.getUser("dave"))?.superuser, true);
      const pass = await piccolo(["--db", url, "user", "change_password", "DAVE", "--password-stdin"], { input: "cli-pass1\n" });
      assert.equal(pass.code, 0, pass.all);
      assert.equal(typeof (await FoldedUser.login("dave", "cli-pass1")), "number");
      const create = await piccolo([
        "--db", url, "user", "create", "--username=DAVE", "--password=abc123", "--email=d2@example.com",
        "--is_admin=f", "--is_superuser=f", "--is_active=t",
      ]);
      assert.equal(create.code, 1);
      assert.match(create.stderr, /already taken/);
    });

    test("fullwidth and other compatibility forms are one name: ＡＤＭＩＮ is refused beside admin", async () => {
      await FoldedUser.createUser({ username: "admin", password: "abc123", email: "admin@example.com" });
      for (const [lookAlike, index] of [["ａｄｍｉｎ", 1], ["ＡＤＭＩＮ", 2], ["ａdmin", 3]] as const) {
        await assert.rejects(FoldedUser.createUser({ username: lookAlike, password: "abc123", email: `look${index}@example.com` }), (error: unknown) => {
          assert.ok(error instanceof UserExistsError, String(error));
          assert.equal(error.field, "username");
          return true;
        });
      }
      assert.equal((await FoldedUser.getUser("ＡＤＭＩＮ"))?.username, "admin");
      assert.equal(typeof (await FoldedUser.login("ａｄｍｉｎ", "abc123")), "number");
      // A rename to a look-alike is refused too.
      const other = await FoldedUser.createUser({ username: "other", password: "abc123", email: "other@example.com" });
      await assert.rejects(FoldedUser.updateProfile(other.id, { username: "ａｄｍｉｎ" }), UserExistsError);
    });

    test("backwards removes the column and its index", async () => {
      await migrateBackwards("user_case_insensitive", { database: url, migrationId: "all" });
      assert.ok(!(await columns()).includes("username_folded"));
      // Names are exact again: BOB can be created beside bob.
      class ExactUser extends BaseUser {
        static override iterations = 1000;
      }
      ExactUser.database = url;
      await ExactUser.createUser({ username: "BOB", password: "abc123", email: "upper@example.com" });
    });
  });
}

for (const engine of testEngines) {
  describe(`the NFKC refold of user_case_insensitive on ${engine}`, () => {
    let url: string;
    let db: Database;
    /** The fold of the first migration, before NFKC: what a database that ran it holds. */
    const oldFold = (name: string) => name.normalize("NFC").toUpperCase().toLowerCase().normalize("NFC");
    const folded = async () =>
      Object.fromEntries(
        (await db.kysely.selectFrom("piccolo_user").select(["username", "username_folded"]).orderBy("id").execute()).map((row) => [row.username, row.username_folded]),
      );

    before(async () => {
      url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      await migrateForwards("user_case_insensitive", { database: url });
      db = await connect(parseDatabaseUrl(url));
      // Back to how a database folded by the first migration alone looks: old folds, no refold row; then
      // a look-alike that the old fold let in, and a row written by Python (NULL folded name).
      await db.kysely.deleteFrom("migration").where("app_name", "=", "user_case_insensitive").where("name", "=", "2026-12-06T17:50:00").execute();
      for (const [username, email] of [["admin", "a@example.com"], ["ﬁnance", "f@example.com"], ["ａｄｍｉｎ", "fw@example.com"]]) {
        await db.kysely.insertInto("piccolo_user").values({ username, email, password: "x", first_name: "", last_name: "", username_folded: oldFold(username) }).execute();
      }
      await db.kysely.insertInto("piccolo_user").values({ username: "Python", email: "p@example.com", password: "x", first_name: "", last_name: "" }).execute();
    });
    after(async () => {
      await db.close();
    });

    test("it refuses while two names are equal once NFKC-folded, and changes nothing", async () => {
      const before = await folded();
      await assert.rejects(migrateForwards("user_case_insensitive", { database: url }), (error: Error) => {
        assert.match(error.message, /"admin" \(id \d+\), "ａｄｍｉｎ" \(id \d+\)/);
        return true;
      });
      assert.deepEqual(await folded(), before);
      const ran = await db.kysely.selectFrom("migration").select("name").where("app_name", "=", "user_case_insensitive").execute();
      assert.deepEqual(ran.map((row) => row.name), ["2026-12-01T14:30:00"]);
    });

    test("after the rename it recomputes every folded name, Python's rows included", async () => {
      await db.kysely.updateTable("piccolo_user").set({ username: "admin_fullwidth", username_folded: "admin_fullwidth" }).where("username", "=", "ａｄｍｉｎ").execute();
      await migrateForwards("user_case_insensitive", { database: url });
      assert.deepEqual(await folded(), { admin: "admin", ﬁnance: "finance", admin_fullwidth: "admin_fullwidth", Python: "python" });
      class FoldedUser extends BaseUser {
        static override iterations = 1000;
        static override caseInsensitiveUsernames = true;
      }
      FoldedUser.database = url;
      await assert.rejects(FoldedUser.createUser({ username: "ＡＤＭＩＮ", password: "abc123", email: "new@example.com" }), UserExistsError);
      await assert.rejects(FoldedUser.createUser({ username: "finance", password: "abc123", email: "new@example.com" }), UserExistsError);
    });
  });
}
