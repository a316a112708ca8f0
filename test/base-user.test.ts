import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BaseUser,
  closeDatabases,
  connect,
  parseDatabaseUrl,
  hashPassword,
  migrateForwards,
  UserExistsError,
  UserNotFoundError,
  ValidationError,
  type Database,
} from "piccolo-ts";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";
import { countHashes, countingDatabase } from "./support/counting.js";

const VECTORS = [
  ["abc123", 600000, "0123456789abcdef0123456789abcdef", "pbkdf2_sha256$600000$0123456789abcdef0123456789abcdef$3ed0c190ed531edb43ff0f87843d258b1a91129c5e9c82592861bb1339282788"],
  ["Bob123$$$", 600000, "7f3a9c2e5b8d1f4a6c0e9b2d5a8f1c3e", "pbkdf2_sha256$600000$7f3a9c2e5b8d1f4a6c0e9b2d5a8f1c3e$30a873e6b67e77b8ad5001885a5915f5dcd2949e29757ea853690bcb7c5f9a42"],
  ["pässwörd✓", 10000, "00000000000000000000000000000000", "pbkdf2_sha256$10000$00000000000000000000000000000000$d5c73915bd99f2368be60c245ba4e0497fb82c6a6f9816498fa0938ac1dfb74f"],
] as const;

test("hashes reproduce Piccolo's vectors (hex salt text as salt, UTF-8 passwords)", async () => {
  for (const [password, iterations, salt, expected] of VECTORS) {
    assert.equal(await hashPassword(password, iterations, salt), expected);
  }
});

after(async () => {
  await closeDatabases();
});

const secretPattern = (password: string) => new RegExp(`pbkdf2_sha256|${password.replace(/[$]/g, "\\$")}`);

for (const engine of testEngines) {
  describe(`BaseUser on ${engine}`, () => {
    let url: string;
    let db: Database;
    // Cheap hashes for most tests: the format is the same, only the cost differs.
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    const warnings: string[] = [];

    before(async () => {
      url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      TestUser.database = url;
      TestUser.logger = { warn: (message) => warnings.push(message) };
      db = await connect(parseDatabaseUrl(url));
    });
    after(async () => {
      await db.close();
    });

    const storedRow = async (username: string) =>
      (await db.kysely.selectFrom("piccolo_user").selectAll().where("username", "=", username).executeTakeFirst()) as
        | Record<string, unknown>
        | undefined;

    test("createUser stores Piccolo's format and returns the user without the password", async () => {
      const bob = await TestUser.createUser({
        username: "bob",
        password: "abc123",
        email: "bob@example.com",
        active: true,
        admin: true,
      });
      assert.deepEqual(
        { ...bob, id: typeof bob.id },
        {
          id: "number",
          username: "bob",
          email: "bob@example.com",
          firstName: "",
          lastName: "",
          active: true,
          admin: true,
          superuser: false,
          lastLogin: null,
        },
      );
      assert.doesNotMatch(JSON.stringify(bob), secretPattern("abc123"));
      const row = await storedRow("bob");
      assert.match(String(row?.password), /^pbkdf2_sha256\$1000\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
      assert.equal(row?.first_name, "");
      if (engine !== "postgres") {
        assert.equal(row?.active, 1);
        assert.equal(row?.superuser, 0);
      } else {
        assert.equal(row?.active, true);
      }
    });

    test("the default class hashes with 600000 iterations", async () => {
      class DefaultUser extends BaseUser {}
      DefaultUser.database = url;
      await DefaultUser.createUser({ username: "default-cost", password: "abc123", email: "cost@example.com" });
      assert.match(String((await storedRow("default-cost"))?.password), /^pbkdf2_sha256\$600000\$/);
      assert.equal(typeof (await DefaultUser.login("default-cost", "abc123")), "number");
    });

    test("a taken username or email is a UserExistsError naming which", async () => {
      await TestUser.createUser({ username: "dup", password: "abc123", email: "dup@example.com" });
      await assert.rejects(TestUser.createUser({ username: "dup", password: "abc123", email: "other@example.com" }), (e) => {
        assert.ok(e instanceof UserExistsError);
        assert.equal(e.field, "username");
        return true;
      });
      await assert.rejects(TestUser.createUser({ username: "dup2", password: "abc123", email: "dup@example.com" }), (e) => {
        assert.ok(e instanceof UserExistsError);
        assert.equal(e.field, "email");
        return true;
      });
    });

    test("two users without an email: a clear UserExistsError, not a raw database error", async () => {
      await TestUser.createUser({ username: "no-email-1", password: "abc123" });
      await assert.rejects(TestUser.createUser({ username: "no-email-2", password: "abc123" }), (e) => {
        assert.ok(e instanceof UserExistsError);
        assert.equal(e.field, "email");
        assert.match(e.message, /no email/);
        return true;
      });
    });

    test("usernames compare exactly: case differs, trailing space refused", async () => {
      await TestUser.createUser({ username: "Casey", password: "abc123", email: "casey1@example.com" });
      const lower = await TestUser.createUser({ username: "casey", password: "abc123", email: "casey2@example.com" });
      assert.equal(await TestUser.login("casey", "abc123"), lower.id);
      assert.equal(await TestUser.login("casey ", "abc123"), null);
      await assert.rejects(TestUser.createUser({ username: "casey ", password: "abc123", email: "c3@example.com" }), ValidationError);
    });

    test("racing creates of one username: exactly one row, the rest UserExistsError", async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          TestUser.createUser({ username: "racer", password: "abc123", email: `racer${i}@example.com` }),
        ),
      );
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of results) {
        if (r.status === "rejected") assert.ok(r.reason instanceof UserExistsError, String(r.reason));
      }
      const count = await db.kysely
        .selectFrom("piccolo_user")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("username", "=", "racer")
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 1);
    });

    test("Piccolo's validation messages", async () => {
      const cases: [Parameters<typeof TestUser.createUser>[0], string][] = [
        [{ username: "v1", password: "" }, "A password must be provided."],
        [{ username: "v1", password: "abc" }, "The password is too short. (min 6)"],
        [{ username: "v1", password: "x".repeat(129) }, "The password is too long. (max 128)"],
        [{ username: "v1", password: "pbkdf2_sha256$600000$abc$def" }, "Do not pass a hashed password."],
        [{ username: "", password: "abc123" }, "A username must be provided."],
        [{ username: "u".repeat(101), password: "abc123" }, "The username is too long. (max 100)"],
      ];
      for (const [input, message] of cases) {
        await assert.rejects(TestUser.createUser(input), (e) => {
          assert.ok(e instanceof ValidationError);
          assert.equal(e.message, message);
          return true;
        });
      }
      await assert.rejects(TestUser.updatePassword({} as unknown as string, "abc123"), {
        message: "The `user` arg must be a user id, or a username.",
      });
    });

    test("subclasses change the rules", async () => {
      class AppUser extends TestUser {
        static override minPasswordLength = 10;
      }
      await assert.rejects(AppUser.createUser({ username: "short", password: "abc123", email: "s@example.com" }), {
        message: "The password is too short. (min 10)",
      });
      const ok = await AppUser.createUser({ username: "long-enough", password: "abcdefghij", email: "l@example.com" });
      assert.equal(await AppUser.login("long-enough", "abcdefghij"), ok.id);
    });

    test("login: right password gives the id and sets last_login (UTC); wrong or unknown gives null", async () => {
      const alice = await TestUser.createUser({ username: "alice", password: "abc123", email: "alice@example.com" });
      const before = Date.now();
      assert.equal(await TestUser.login("alice", "abc123"), alice.id);
      assert.equal(await TestUser.login({ username: "alice", password: "abc123" }), alice.id);
      assert.equal(await TestUser.login({ username: "alice", password: "nope" }), null);
      assert.equal(await TestUser.login("nobody", "abc123"), null);
      const user = await TestUser.getUser("alice");
      assert.ok(user?.lastLogin instanceof Date);
      assert.ok(Math.abs(user.lastLogin.getTime() - before) < 60_000, "last_login is now, in UTC");
      const stored = String((await storedRow("alice"))?.last_login);
      if (engine === "sqlite") assert.match(stored, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{6})?$/);
    });

    test("login guards: over-long input returns null without a query or a hash", async () => {
      // The same class and database, with every query and every PBKDF2 run counted: a normal login shows
      // the counters work (one query or more, one hash), then the guarded calls must leave both at zero.
      const counted = await countingDatabase(db);
      class Counted extends TestUser {}
      Counted.database = counted.database;
      await Counted.createUser({ username: "guarded", password: "abc123", email: "guarded@example.com" });
      counted.queries.length = 0;
      const hashes = countHashes();
      try {
        assert.equal(typeof (await Counted.login("guarded", "abc123")), "number");
        assert.ok(counted.queries.length >= 1, "the counter saw no query of a normal login");
        assert.equal(hashes.count(), 1, "a normal login hashes once");
        counted.queries.length = 0;
        hashes.reset();
        assert.equal(await Counted.login("u".repeat(1_000_000), "abc123"), null);
        assert.equal(await Counted.login("guarded", "p".repeat(1_000_000)), null);
        assert.equal(await Counted.login({ username: "guarded", password: "p".repeat(129) }), null);
        assert.equal(await Counted.login("u".repeat(101), "abc123"), null);
        assert.deepEqual(counted.queries, [], "an over-long login reached the database");
        assert.equal(hashes.count(), 0, "an over-long login paid for a hash");
      } finally {
        hashes.stop();
      }
      assert.ok(warnings.includes("Excessively long username provided."));
      assert.ok(warnings.includes("Excessively long password provided."));
    });

    test("an older iteration count is upgraded by a successful login", async () => {
      const old = await TestUser.createUser({ username: "old-hash", password: "abc123", email: "old@example.com" });
      class Stronger extends TestUser {
        static override iterations = 2000;
      }
      assert.equal(await Stronger.login("old-hash", "abc123"), old.id);
      assert.match(String((await storedRow("old-hash"))?.password), /^pbkdf2_sha256\$2000\$/);
      assert.equal(await Stronger.login("old-hash", "abc123"), old.id);
    });

    test("a stored value that is not a hash never logs in and never throws; the warning names the id only", async () => {
      const victim = await TestUser.createUser({ username: "plain", password: "abc123", email: "plain@example.com" });
      for (const bad of ["abc123", "pbkdf2_sha256$1000$abc", "md5$abc$def", ""]) {
        await db.kysely.updateTable("piccolo_user").set({ password: bad }).where("id", "=", victim.id).execute();
        assert.equal(await TestUser.login("plain", bad || "abc123"), null);
      }
      const warning = warnings.find((w) => w.includes(`User ${victim.id} `));
      assert.ok(warning);
      assert.doesNotMatch(warning, /abc123|plain/);
    });

    test("updatePassword by username or id; unknown user is UserNotFoundError", async () => {
      const carol = await TestUser.createUser({ username: "carol", password: "abc123", email: "carol@example.com" });
      await TestUser.updatePassword("carol", "n3w-secret");
      assert.equal(await TestUser.login("carol", "abc123"), null);
      assert.equal(await TestUser.login("carol", "n3w-secret"), carol.id);
      await TestUser.updatePassword(carol.id, "an0ther-secret");
      assert.equal(await TestUser.login("carol", "an0ther-secret"), carol.id);
      await assert.rejects(TestUser.updatePassword("nobody", "abc123"), UserNotFoundError);
      await assert.rejects(TestUser.updatePassword(999_999, "abc123"), UserNotFoundError);
      await assert.rejects(TestUser.updatePassword("carol", "short"), { message: "The password is too short. (min 6)" });
    });

    test("changePermissions sets flags and returns the stored user", async () => {
      await TestUser.createUser({ username: "dave", password: "abc123", email: "dave@example.com" });
      const dave = await TestUser.changePermissions("dave", { admin: true, superuser: true, active: true });
      assert.deepEqual([dave.admin, dave.superuser, dave.active], [true, true, true]);
      const again = await TestUser.changePermissions(dave.id, { superuser: false });
      assert.deepEqual([again.admin, again.superuser, again.active], [true, false, true]);
      await assert.rejects(TestUser.changePermissions("ghost", { admin: true }), {
        message: "User ghost doesn't exist!",
      });
      await assert.rejects(TestUser.changePermissions("dave", { admin: "yes" as unknown as boolean }), ValidationError);
    });

    test("listUsers: pages, order (with - for descending), Piccolo's errors, never a password", async () => {
      class ListUser extends TestUser {}
      ListUser.database = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: ListUser.database });
      for (const name of ["erin", "chad", "amy", "bea", "dan"]) {
        await ListUser.createUser({ username: name, password: "abc123", email: `${name}@example.com` });
      }
      assert.deepEqual((await ListUser.listUsers()).map((u) => u.username), ["amy", "bea", "chad", "dan", "erin"]);
      assert.deepEqual((await ListUser.listUsers({ limit: 2, page: 2 })).map((u) => u.username), ["chad", "dan"]);
      assert.deepEqual((await ListUser.listUsers({ orderBy: "-username", limit: 2 })).map((u) => u.username), ["erin", "dan"]);
      assert.deepEqual((await ListUser.listUsers({ search: "EA" })).map((u) => u.username), ["bea"]);
      assert.equal(await ListUser.countUsers(), 5);
      assert.doesNotMatch(JSON.stringify(await ListUser.listUsers()), /pbkdf2|password/);
      await assert.rejects(ListUser.listUsers({ orderBy: "password" }), {
        message:
          "The order_by argument must be one of the following: id, username, email, active, admin, first_name, last_name, superuser, last_login",
      });
      await assert.rejects(ListUser.listUsers({ page: 0 }), { message: "The page number must > 0." });
      await assert.rejects(ListUser.listUsers({ limit: 0 }), { message: "The limit number must be > 0." });
    });

    test("settings(): the class's statics as one record, read again at each call", () => {
      class StrictUser extends TestUser {
        static override minPasswordLength = 10;
      }
      const settings = StrictUser.settings();
      assert.deepEqual(
        Object.keys(settings).sort(),
        ["caseInsensitiveUsernames", "database", "iterations", "logger", "loginWithEmail", "maxPasswordLength", "maxUsernameLength", "minPasswordLength", "tableName"],
      );
      assert.deepEqual([settings.minPasswordLength, settings.iterations, settings.tableName, settings.database], [10, 1000, "piccolo_user", url]);
      assert.equal(settings.logger, TestUser.logger);
      StrictUser.minPasswordLength = 12;
      assert.equal(StrictUser.settings().minPasswordLength, 12);
      assert.throws(() => StrictUser.validatePassword("eleven-char"), { message: "The password is too short. (min 12)" });
      assert.equal(settings.minPasswordLength, 10, "a record already read does not change");
    });

    test("close() ends this class's pool only: a class on another database keeps its pool, the closed one opens anew", async () => {
      class ClosingUser extends TestUser {}
      class OtherUser extends TestUser {}
      ClosingUser.database = await freshDatabaseUrl(engine);
      OtherUser.database = await freshDatabaseUrl(engine);
      for (const cls of [ClosingUser, OtherUser]) {
        await migrateForwards("user", { database: cls.database });
        await cls.createUser({ username: "kim", password: "abc123" });
      }
      const closing = await ClosingUser.getDatabase();
      const other = await OtherUser.getDatabase();
      assert.notEqual(closing, other);
      await ClosingUser.close();
      // The other class still has the very same pool, open (closing every pool destroyed it).
      assert.equal(await OtherUser.getDatabase(), other);
      assert.equal((await other.kysely.selectFrom("piccolo_user").select("username").execute()).length, 1);
      assert.equal(typeof (await OtherUser.login("kim", "abc123")), "number");
      // The closed class's pool is closed; its next call opens a new one.
      await assert.rejects(closing.kysely.selectFrom("piccolo_user").select("username").execute());
      assert.notEqual(await ClosingUser.getDatabase(), closing);
      assert.equal(typeof (await ClosingUser.login("kim", "abc123")), "number");
      await ClosingUser.close();
      await OtherUser.close();
      await OtherUser.close(); // closing again does nothing
    });

    test("sync variants work without await on this engine", async () => {
      const created = TestUser.createUserSync({ username: "synced", password: "abc123", email: "sync@example.com" });
      assert.equal(TestUser.loginSync("synced", "abc123"), created.id);
      assert.equal(TestUser.loginSync({ username: "synced", password: "wrong1" }), null);
      TestUser.updatePasswordSync(created.id, "n3w-secret");
      assert.equal(TestUser.loginSync("synced", "n3w-secret"), created.id);
      assert.throws(() => TestUser.updatePasswordSync("nobody-here", "n3w-secret"), UserNotFoundError);
      assert.throws(
        () => TestUser.createUserSync({ username: "synced", password: "abc123", email: "x@example.com" }),
        (e) => e instanceof UserExistsError && e.field === "username",
      );
    });
  });
}
