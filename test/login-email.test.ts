// Login by email (opt-in `static loginWithEmail = true`), on every engine.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { BaseUser, closeDatabases, connect, loginFieldLabel, migrateForwards, parseDatabaseUrl, type Database } from "piccolo-ts";
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
      for (const [username, email] of [
        ["bob", "Bob@Example.com"],
        ["carol", "carol@example.com"],
        ["dave@example.com", "dave-real@example.com"], // a username that looks like an email
        ["erin", "dave@example.com"], //                   …and another user's email equal to it
        ["fay", "Twin@example.com"],
        ["gus", "twin@EXAMPLE.com"], //                    two emails equal when case is ignored
      ]) {
        ids[username] = (await EmailUser.createUser({ username, password: `${username}-pw1`, email })).id;
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
      NameOnlyUser.database = EmailUser.database;
      assert.equal(await NameOnlyUser.login("carol@example.com", "carol-pw1"), null);
      assert.equal(await NameOnlyUser.login("dave@example.com", "dave@example.com-pw1"), ids["dave@example.com"]);
    });

    test("loginSync follows the opt-in too (the worker thread gets the class's settings)", async () => {
      class SyncEmailUser extends EmailUser {}
      SyncEmailUser.database = db.target.url;
      assert.equal(SyncEmailUser.loginSync("BOB@example.com", "bob-pw1"), ids.bob);
    });

    test("an email longer than the username limit is still looked up (emails go to 255)", async () => {
      const email = `${"x".repeat(150)}@example.com`;
      const user = await EmailUser.createUser({ username: "longmail", password: "long-pw1", email });
      assert.equal(await EmailUser.login(email, "long-pw1"), user.id);
    });
  });
}
