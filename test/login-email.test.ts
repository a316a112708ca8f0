// Login by email (opt-in `static loginWithEmail = true`), on every engine.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BaseUser,
  closeDatabases,
  connect,
  importUsers,
  loginFieldLabel,
  migrateForwards,
  parseDatabaseUrl,
  UserExistsError,
  type Database,
} from "piccolo-ts";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";

test("the login form's label follows the flag", () => {
  class EmailUser extends BaseUser {
    static override loginWithEmail = true;
  }
  assert.equal(loginFieldLabel(EmailUser), "Username or email");
  assert.equal(loginFieldLabel(BaseUser), "Username");
});

after(async () => {
  await closeDatabases();
});

for (const engine of testEngines) {
  describe(`login by email on ${engine}`, () => {
    let db: Database;
    let statements: string[] = [];
    class EmailUser extends BaseUser {
      static override iterations = 1000;
      static override loginWithEmail = true;
    }
    class NameOnlyUser extends EmailUser {
      static override loginWithEmail = false;
    }
    const ids: Record<string, number> = {};

    before(async () => {
      const url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      // A Database of our own whose Kysely logs every statement, to count a login's queries.
      const target = parseDatabaseUrl(url);
      db = await connect(target);
      const logged = db.kysely.withPlugin({
        transformQuery: (args) => {
          statements.push(args.node.kind);
          return args.node;
        },
        transformResult: async (args) => args.result,
      });
      EmailUser.database = { ...db, kysely: logged } as Database;
      NameOnlyUser.database = EmailUser.database;
      for (const [username, email] of [
        ["bob", "Bob@Example.com"],
        ["carol", "carol@example.com"],
        ["dave@example.com", "dave-real@example.com"], // a username that looks like an email
        ["erin", "dave@example.com"], //                   …and another user's email equal to it
        ["fay", "Twin@example.com"],
        ["gus", "twin@EXAMPLE.com"], //                    two emails equal when case is ignored
      ]) {
        // erin's email is dave's username: only a class without login by email (or Python) can store that now.
        const maker = username === "erin" ? NameOnlyUser : EmailUser;
        ids[username] = (await maker.createUser({ username, password: `${username}-pw1`, email })).id;
      }
    });
    after(async () => {
      await db.close();
    });

    test("an email logs in, with ASCII case ignored; a username still does", async () => {
      assert.equal(await EmailUser.login("Bob@Example.com", "bob-pw1"), ids.bob);
      assert.equal(await EmailUser.login("bob@example.COM", "bob-pw1"), ids.bob);
      assert.equal(await EmailUser.login("bob", "bob-pw1"), ids.bob);
      assert.equal(await EmailUser.login("carol@example.com", "wrong-pw1"), null);
    });

    test("with @ the email is tried first, then the username", async () => {
      // "dave@example.com" is erin's email and dave's username: the email wins.
      assert.equal(await EmailUser.login("dave@example.com", "erin-pw1"), ids.erin);
      assert.equal(await EmailUser.login("dave@example.com", "dave@example.com-pw1"), null);
      // No user has this email: the username is used.
      assert.equal(await EmailUser.login("DAVE-REAL@example.com", "dave@example.com-pw1"), ids["dave@example.com"]);
    });

    test("emails that differ only in case: each exact one works, a third spelling names nobody", async () => {
      assert.equal(await EmailUser.login("Twin@example.com", "fay-pw1"), ids.fay);
      assert.equal(await EmailUser.login("twin@EXAMPLE.com", "gus-pw1"), ids.gus);
      assert.equal(await EmailUser.login("TWIN@example.com", "fay-pw1"), null);
      assert.equal(await EmailUser.login("TWIN@example.com", "gus-pw1"), null);
    });

    test("one query for the lookup, whether the identifier is an email, a username or nobody", async () => {
      for (const identifier of ["bob@example.com", "bob", "nobody@example.com", "nobody"]) {
        statements = [];
        await EmailUser.login(identifier, "bob-pw1");
        assert.equal(statements.filter((kind) => kind === "SelectQueryNode").length, 1, identifier);
      }
    });

    test("without the opt-in an email is only a username", async () => {
      assert.equal(await NameOnlyUser.login("carol@example.com", "carol-pw1"), null);
      assert.equal(await NameOnlyUser.login("dave@example.com", "dave@example.com-pw1"), ids["dave@example.com"]);
    });

    test("loginSync follows the opt-in too (the worker thread gets the class's settings)", async () => {
      class SyncEmailUser extends EmailUser {}
      SyncEmailUser.database = db.target.url;
      assert.equal(SyncEmailUser.loginSync("BOB@example.com", "bob-pw1"), ids.bob);
    });

    test("no user may take another's identifier across the two columns: create, edit and import refuse it", async () => {
      const refusedAs = (field: "username" | "email") => (error: unknown) => {
        assert.ok(error instanceof UserExistsError, String(error));
        assert.equal(error.field, field);
        assert.match(error.message, /one identifier may not name two users/);
        return true;
      };
      // An email that is another user's username (ASCII case ignored), and a username that is another's email.
      await assert.rejects(EmailUser.createUser({ username: "hank", password: "hank-pw1", email: "DAVE@example.com" }), refusedAs("email"));
      await assert.rejects(EmailUser.createUser({ username: "Carol@Example.com", password: "hank-pw1", email: "hank@example.com" }), refusedAs("username"));
      await assert.rejects(EmailUser.updateProfile(ids.bob!, { email: "DAVE@EXAMPLE.COM" }), refusedAs("email"));
      await assert.rejects(EmailUser.updateProfile(ids.bob!, { username: "carol@EXAMPLE.com" }), refusedAs("username"));
      // So bob could not take over the lookup of dave's username: dave still logs in by it and by his email.
      assert.equal(await EmailUser.login("dave-real@example.com", "dave@example.com-pw1"), ids["dave@example.com"]);
      assert.equal(await EmailUser.login("DAVE@EXAMPLE.COM", "bob-pw1"), null);
      assert.equal((await EmailUser.getUser(ids.bob!))?.email, "Bob@Example.com", "the refused edit changed nothing");
      // One's own email as one's username is fine; without the opt-in nothing is compared across.
      const carol = await EmailUser.updateProfile(ids.carol!, { username: "carol@example.com" });
      assert.equal(carol.username, "carol@example.com");
      await EmailUser.updateProfile(ids.carol!, { username: "carol" });
      await NameOnlyUser.createUser({ username: "ivy", password: "ivy-pw1", email: "bob@example.net" });

      const jsonl = [
        { username: "jack", email: "Dave@Example.com" }, //   line 1: a stored username
        { username: "bob@example.COM", email: "k@x.org" }, // line 2: a stored email
        { username: "lee@x.org", email: "lee2@x.org" }, //   line 3
        { username: "mo", email: "LEE@x.org" }, //            line 4: line 3's username
      ].map((row) => JSON.stringify({ ...row, password: "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" }));
      const result = await importUsers(EmailUser, jsonl.join("\n"), "jsonl");
      assert.deepEqual(result.problems.map((problem) => problem.line), [1, 2, 4]);
      assert.match(result.problems[0]!.reason, /is a stored user's username/);
      assert.match(result.problems[1]!.reason, /is a stored user's email/);
      assert.match(result.problems[2]!.reason, /is the username on line 3/);
      assert.equal(result.imported, 0);
      assert.deepEqual((await importUsers(NameOnlyUser, jsonl.join("\n"), "jsonl", { dryRun: true })).problems, []);
    });

    test("an email longer than the username limit is still looked up (emails go to 255)", async () => {
      const email = `${"x".repeat(150)}@example.com`;
      const user = await EmailUser.createUser({ username: "longmail", password: "long-pw1", email });
      assert.equal(await EmailUser.login(email, "long-pw1"), user.id);
    });
  });
}
