// The user-layer rules that guard who can manage users: one transaction per change, the last active
// admin superuser kept, sessions ended whenever a user loses the right to log in, profile edits with
// createUser's rules, deletes, filtered listings, and logins refused by an `allow` rule writing nothing.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import path from "node:path";
import {
  BaseUser,
  closeDatabases,
  connect,
  LastSuperuserError,
  migrateForwards,
  parseDatabaseUrl,
  BusyError,
  ConfigError,
  configureHashing,
  hasherInfo,
  UserExistsError,
  UserNotFoundError,
  ValidationError,
  type Database,
} from "piccolo-ts";
import { piccolo } from "./support/cli.js";
import { countingDatabase } from "./support/counting.js";
import { freshDatabaseUrl, tempDir, testEngines } from "./support/engines.js";

after(async () => {
  await closeDatabases();
});

for (const engine of testEngines) {
  describe(`managing users on ${engine}`, () => {
    let url: string;
    let db: Database;
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    let counter = 0;
    const unique = (prefix: string) => `${prefix}${++counter}`;
    const makeUser = (flags: { active?: boolean; admin?: boolean; superuser?: boolean } = {}) => {
      const username = unique("u");
      return TestUser.createUser({ username, password: "s3cret-pw", email: `${username}@example.com`, ...flags });
    };
    const manager = () => makeUser({ active: true, admin: true, superuser: true });
    const addSession = async (userId: number) => {
      await db.kysely
        .insertInto("sessions")
        .values({ token: unique("token"), user_id: userId, expiry_date: "2999-01-01 00:00:00", max_expiry_date: "2999-01-01 00:00:00" })
        .execute();
    };
    const sessionCount = async (userId: number) =>
      Number((await db.kysely.selectFrom("sessions").select((eb) => eb.fn.countAll().as("n")).where("user_id", "=", userId).executeTakeFirstOrThrow()).n);
    const managerCount = async () => (await TestUser.listUsers({ limit: 1000, filter: { active: true, admin: true, superuser: true } })).length;

    before(async () => {
      url = await freshDatabaseUrl(engine);
      await migrateForwards("all", { database: url });
      TestUser.database = url;
      db = await connect(parseDatabaseUrl(url));
      // Every test below counts managers from a clean slate.
    });
    after(async () => {
      await db.close();
    });

    test("two managers demoting each other at once leave one manager, in every round, with the calls overlapping", async () => {
      // Two pools, as two app processes would have: the calls really run side by side on the server.
      // (One SQLite connection per process: better-sqlite3 waits for a lock synchronously, so a second
      // connection in the same process would wait on the first while blocking it.)
      const openPool = () => (engine === "sqlite" ? TestUser.getDatabase() : connect(parseDatabaseUrl(url)));
      const [poolA, poolB] = await Promise.all([openPool(), openPool()]);
      class ViaA extends TestUser {
        static override database = poolA;
      }
      class ViaB extends TestUser {
        static override database = poolB;
      }
      try {
        for (let round = 0; round < 6; round++) {
          await db.kysely.deleteFrom("piccolo_user").execute();
          const [a, b] = await Promise.all([manager(), manager()]);
          const events: string[] = [];
          const demote = async (cls: typeof BaseUser, target: number, name: string) => {
            events.push(`start ${name}`);
            try {
              await cls.changePermissions(target, { superuser: false }, { keepOneAdminSuperuser: true });
              return "changed";
            } catch (error) {
              if (error instanceof LastSuperuserError) return "refused";
              throw error;
            } finally {
              events.push(`end ${name}`);
            }
          };
          const outcomes = await Promise.all([demote(ViaA, b.id, "A"), demote(ViaB, a.id, "B")]);
          // Overlap: both calls had started before either finished.
          assert.deepEqual(events.slice(0, 2).sort(), ["start A", "start B"]);
          assert.deepEqual(outcomes.sort(), ["changed", "refused"], `round ${round}`);
          assert.equal(await managerCount(), 1, `round ${round}`);
        }
      } finally {
        if (engine !== "sqlite") await Promise.all([poolA.close(), poolB.close()]);
      }
    });

    test("the last manager cannot deactivate, demote or delete themselves; others can be", async () => {
      await db.kysely.deleteFrom("piccolo_user").execute();
      const last = await manager();
      for (const change of [{ active: false }, { admin: false }, { superuser: false }]) {
        await assert.rejects(TestUser.changePermissions(last.id, change, { keepOneAdminSuperuser: true }), LastSuperuserError);
      }
      await assert.rejects(TestUser.deleteUser(last.id, { keepOneAdminSuperuser: true }), LastSuperuserError);
      assert.equal(await managerCount(), 1);
      const plain = await makeUser({ active: true });
      await TestUser.changePermissions(plain.id, { active: false }, { keepOneAdminSuperuser: true });
      await TestUser.deleteUser(plain.id, { keepOneAdminSuperuser: true });
      assert.equal(await TestUser.getUser(plain.id), null);
      // Without the option the API does what it is told, as Piccolo's does.
      const changed = await TestUser.changePermissions(last.id, { superuser: false });
      assert.equal(changed.superuser, false);
    });

    test("clearing active or admin ends the user's sessions (API and CLI); reactivating does not revive them", async () => {
      const user = await makeUser({ active: true, admin: true });
      await addSession(user.id);
      await TestUser.changePermissions(user.id, { admin: false });
      assert.equal(await sessionCount(user.id), 0);
      await addSession(user.id);
      await TestUser.changePermissions(user.id, { active: false });
      assert.equal(await sessionCount(user.id), 0);
      await TestUser.changePermissions(user.id, { active: true, admin: true });
      assert.equal(await sessionCount(user.id), 0);
      // Flags that do not take rights away leave sessions alone.
      await addSession(user.id);
      await TestUser.changePermissions(user.id, { superuser: true });
      assert.equal(await sessionCount(user.id), 1);
      const cli = await piccolo(["--db", url, "user", "change_permissions", user.username, "--active=false"]);
      assert.equal(cli.code, 0, cli.all);
      assert.equal(await sessionCount(user.id), 0);
    });

    test("deleteUser removes the user and their sessions; an unknown user is UserNotFoundError", async () => {
      const user = await makeUser();
      await addSession(user.id);
      await TestUser.deleteUser(user.username);
      assert.equal(await TestUser.getUser(user.id), null);
      assert.equal(await sessionCount(user.id), 0);
      await assert.rejects(TestUser.deleteUser(user.id), UserNotFoundError);
    });

    test("updateProfile applies createUser's rules and reports a taken field", async () => {
      const bob = await makeUser();
      const other = await makeUser();
      const renamed = await TestUser.updateProfile(bob.id, { username: `${bob.username}x`, firstName: "Bob", lastName: null });
      assert.equal(renamed.username, `${bob.username}x`);
      assert.equal(renamed.firstName, "Bob");
      assert.equal(renamed.lastName, null);
      await assert.rejects(TestUser.updateProfile(bob.id, { username: other.username }), (error: unknown) =>
        error instanceof UserExistsError && error.field === "username");
      await assert.rejects(TestUser.updateProfile(bob.id, { email: other.email }), (error: unknown) =>
        error instanceof UserExistsError && error.field === "email");
      await assert.rejects(TestUser.updateProfile(bob.id, { username: " padded" }), ValidationError);
      // Its own current email is not "taken".
      assert.equal((await TestUser.updateProfile(bob.id, { email: bob.email })).email, bob.email);
      await assert.rejects(TestUser.updateProfile(999_999, { firstName: "x" }), UserNotFoundError);
    });

    test("usernames that display as another are refused, on create and on rename", async () => {
      const user = await makeUser();
      for (const deceptive of ["\u202Enimda", "ad\u200Bmin", "admin\u2066", "\u200Dadmin"]) {
        await assert.rejects(TestUser.createUser({ username: deceptive, password: "s3cret-pw", email: unique("d") }), /invisible or direction-changing/);
        await assert.rejects(TestUser.updateProfile(user.id, { username: deceptive }), /invisible or direction-changing/);
      }
      // An emoji joined with a zero-width joiner is one picture, not a disguise.
      const family = await TestUser.createUser({ username: `fam\u{1F468}\u200D\u{1F469}${++counter}`, password: "s3cret-pw", email: unique("f") });
      assert.ok(family.id > 0);
    });

    test("listUsers and countUsers filter by flags, combined with search", async () => {
      const tag = unique("flt");
      const make = (suffix: string, flags: object) =>
        TestUser.createUser({ username: `${tag}${suffix}`, password: "s3cret-pw", email: `${tag}${suffix}@x.org`, ...flags });
      await make("a", { active: true, admin: true });
      await make("b", { active: true });
      await make("c", {});
      const names = async (filter: object) => (await TestUser.listUsers({ search: tag, filter })).map((u) => u.username);
      assert.deepEqual(await names({ active: true }), [`${tag}a`, `${tag}b`]);
      assert.deepEqual(await names({ active: true, admin: false }), [`${tag}b`]);
      assert.deepEqual(await names({ active: false }), [`${tag}c`]);
      assert.equal(await TestUser.countUsers({ search: tag, filter: { admin: true } }), 1);
      await assert.rejects(TestUser.listUsers({ filter: { active: "yes" as unknown as boolean } }), ValidationError);
    });

    test("a wrong password costs the class's iterations for an unknown user and for a weaker legacy hash alike", async () => {
      class Hardened extends TestUser {
        static override iterations = 4000;
      }
      const legacy = await makeUser(); // hashed with TestUser's 1000 iterations
      const cost = async (attempt: () => Promise<unknown>) => {
        const before = hasherInfo().iterationsCompleted;
        await attempt();
        return hasherInfo().iterationsCompleted - before;
      };
      assert.equal(await cost(() => Hardened.login(unique("nobody"), "wrong-pw")), 4000);
      assert.equal(await cost(() => Hardened.login(legacy.username, "wrong-pw")), 4000);
      // The right password verifies (1000) and upgrades the hash to the class's count (4000).
      assert.equal(await cost(() => Hardened.login(legacy.username, "s3cret-pw")), 5000);
      assert.equal(await cost(() => Hardened.login(legacy.username, "wrong-pw")), 4000);
    });

    test("a login flood is refused before its queries: only as many logins as the pool runs and queues reach the database", async () => {
      const user = await makeUser();
      const counted = await countingDatabase(await TestUser.getDatabase());
      class Counted extends TestUser {
        static override database = counted.database;
      }
      configureHashing({ threads: 1, maxQueue: 2 });
      try {
        counted.queries.length = 0;
        const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => Counted.login(user.username, "wrong-pw")));
        const refused = outcomes.filter((o) => o.status === "rejected" && o.reason instanceof BusyError).length;
        assert.equal(refused, 7);
        assert.equal(outcomes.filter((o) => o.status === "fulfilled" && o.value === null).length, 3);
        assert.equal(counted.queries.filter((kind) => kind === "SelectQueryNode").length, 3, "a refused login queried the database");
      } finally {
        configureHashing({});
      }
    });

    test("a login refused by `allow` answers null and records no last_login", async () => {
      const user = await makeUser({ active: true });
      assert.equal(await TestUser.login(user.username, "s3cret-pw", { allow: (u) => u.admin }), null);
      assert.equal((await TestUser.getUser(user.id))?.lastLogin, null);
      assert.equal(await TestUser.login({ username: user.username, password: "s3cret-pw" }, { allow: (u) => u.active }), user.id);
      assert.notEqual((await TestUser.getUser(user.id))?.lastLogin, null);
    });
  });
}

if (testEngines.includes("sqlite")) {
  test("a new SQLite database file is readable by its owner only (it holds password hashes)", async () => {
    const file = path.join(tempDir(), "private.sqlite");
    const database = await connect(parseDatabaseUrl(file));
    try {
      await migrateForwards("user", { database });
      assert.equal(statSync(file).mode & 0o777, 0o600);
    } finally {
      await database.close();
    }
  });
}

if (testEngines.includes("mysql")) {
  test("MySQL URL options are allow-listed (debug would print statements, hashes included)", async () => {
    const url = await freshDatabaseUrl("mysql");
    await assert.rejects(connect(parseDatabaseUrl(`${url}?debug=true`)), ConfigError);
    const database = await connect(parseDatabaseUrl(`${url}?connectionLimit=2`));
    try {
      await migrateForwards("user", { database });
    } finally {
      await database.close();
    }
  });
}
