// A login answers after its lookup and its hash; its writes (last_login, a hash upgrade) follow in the
// background, pending writes sharing one transaction. These tests hold what a user relies on: no
// success loses its last_login (a burst, a close right after, loginSync), and a failing write is
// logged without crashing the process or costing the other logins theirs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "kysely";
import { BaseUser, closeDatabases, connect, migrateForwards, parseDatabaseUrl, type Database } from "piccolo-ts";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";
import { countingDatabase } from "./support/counting.js";

after(async () => {
  await closeDatabases();
});

for (const engine of testEngines) {
  describe(`login writes on ${engine}`, () => {
    let url: string;
    let db: Database;
    const warnings: string[] = [];
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }

    before(async () => {
      url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      db = await connect(parseDatabaseUrl(url));
      TestUser.database = url;
      TestUser.logger = { warn: (message) => warnings.push(message) };
    });
    after(async () => {
      await db.close();
    });

    const lastLoginOf = async (id: number) =>
      (await db.kysely.selectFrom("piccolo_user").select("last_login").where("id", "=", id).executeTakeFirstOrThrow()).last_login as unknown;

    async function createUsers(prefix: string, count: number) {
      return Promise.all(
        Array.from({ length: count }, (_, i) => TestUser.createUser({ username: `${prefix}${i}`, password: `${prefix}-pass-${i}`, email: `${prefix}${i}@example.com` })),
      );
    }

    /** Starts every login at once; returns the ids and the most logins that were in flight together. */
    async function burst(users: { username: string }[], User: typeof BaseUser = TestUser) {
      let inFlight = 0;
      let most = 0;
      const ids = await Promise.all(
        users.map(async (user, i) => {
          inFlight++;
          most = Math.max(most, inFlight);
          try {
            return await User.login(user.username, `${user.username.replace(/\d+$/, "")}-pass-${i}`);
          } finally {
            inFlight--;
          }
        }),
      );
      return { ids, most };
    }

    test("a burst of logins: every success's last_login is written", async () => {
      const users = await createUsers("burst", 12);
      const started = Date.now();
      const { ids, most } = await burst(users);
      assert.equal(most, users.length, "all the logins were in flight together");
      assert.deepEqual(ids, users.map((user) => user.id));
      await TestUser.settleLogins();
      for (const user of users) {
        const stored = await TestUser.getUser(user.id);
        assert.ok(stored?.lastLogin instanceof Date, `${user.username}: last_login written`);
        assert.ok(stored.lastLogin.getTime() >= started - 2_000, `${user.username}: last_login is this login's`);
      }
    });

    // Not on SQLite: a second connection's lock would make this process's own (synchronous) driver wait.
    if (engine !== "sqlite") test("the answers do not wait for the write, and the writes pending together share one transaction", async () => {
      const users = await createUsers("locked", 8);
      const { database: counted, queries } = await countingDatabase(await connect(parseDatabaseUrl(url)));
      class CountedUser extends TestUser {
        static override database = counted;
      }
      // Another connection lets the table be read but not written until it lets go.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = db.kysely.connection().execute(async (connection) => {
        if (engine === "postgres") {
          await sql`BEGIN`.execute(connection);
          await sql`LOCK TABLE piccolo_user IN SHARE MODE`.execute(connection);
        } else {
          await sql`LOCK TABLES piccolo_user READ`.execute(connection);
        }
        locked();
        await released;
        await sql.raw(engine === "postgres" ? "COMMIT" : "UNLOCK TABLES").execute(connection);
      });
      try {
        await isLocked;
        queries.length = 0;
        const { ids, most } = await burst(users, CountedUser);
        assert.equal(most, users.length, "all the logins were in flight together");
        assert.deepEqual(ids, users.map((user) => user.id), "every login answered while its write could not be made");
      } finally {
        release();
        await holder;
      }
      await CountedUser.settleLogins();
      for (const user of users) assert.notEqual(await lastLoginOf(user.id), null, `${user.username}: last_login written`);
      const updates = queries.filter((kind) => kind === "UpdateQueryNode").length;
      const transactions = queries.filter((kind) => kind === "RawNode").length / 2; // BEGIN and COMMIT
      assert.ok(updates >= users.length, `${updates} UPDATEs for ${users.length} logins`);
      assert.ok(transactions <= 2, `${users.length} logins' writes took ${transactions} transactions (the one that waited, then one for the rest)`);
      await counted.close();
    });

    test("closing the database right after a login writes its last_login first", async () => {
      const [user] = await createUsers("closer", 1);
      const own = await connect(parseDatabaseUrl(url));
      class OwnUser extends TestUser {
        static override database = own;
      }
      assert.equal(await OwnUser.login("closer0", "closer-pass-0"), user!.id);
      await own.close();
      assert.notEqual(await lastLoginOf(user!.id), null);
    });

    test("BaseUser.close() right after a login writes its last_login first", async () => {
      const [user] = await createUsers("shutdown", 1);
      assert.equal(await TestUser.login("shutdown0", "shutdown-pass-0"), user!.id);
      await TestUser.close();
      assert.notEqual(await lastLoginOf(user!.id), null);
    });

    test("loginSync returns with its last_login written", async () => {
      const [user] = await createUsers("syncer", 1);
      assert.equal(TestUser.loginSync("syncer0", "syncer-pass-0"), user!.id);
      assert.notEqual(await lastLoginOf(user!.id), null);
    });

    test("a write that fails is logged (no password, no hash), the process goes on, the other logins keep theirs", async () => {
      const users = await createUsers("fails", 6);
      const blocked = users[2]!;
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown) => rejections.push(reason);
      process.on("unhandledRejection", onRejection);
      await addRefusingTrigger(db, blocked.username);
      warnings.length = 0;
      try {
        const { ids, most } = await burst(users);
        assert.equal(most, users.length);
        assert.deepEqual(ids, users.map((user) => user.id), "the answers do not depend on the write");
        await TestUser.settleLogins();
      } finally {
        await dropRefusingTrigger(db);
        process.off("unhandledRejection", onRejection);
      }
      assert.deepEqual(rejections, []);
      assert.equal(await lastLoginOf(blocked.id), null);
      for (const user of users.filter((u) => u !== blocked)) assert.notEqual(await lastLoginOf(user.id), null, `${user.username} lost its write`);
      const reports = warnings.filter((w) => w.includes(`login of user ${blocked.id} failed`));
      assert.equal(reports.length, 1, warnings.join("\n"));
      assert.match(reports[0]!, /last_login was not written\.$/);
      assert.doesNotMatch(warnings.join("\n"), /pbkdf2_sha256|fails-pass/);
      // The next login, with the trigger gone, is written.
      assert.equal(await TestUser.login(blocked.username, "fails-pass-2"), blocked.id);
      await TestUser.settleLogins();
      assert.notEqual(await lastLoginOf(blocked.id), null);
    });

    test("a logger that throws while reporting a failed write: still no unhandled rejection, the rest is written", async () => {
      const users = await createUsers("loud", 3);
      class LoudUser extends TestUser {
        static override logger = {
          warn(): void {
            throw new Error("the logger is down");
          },
        };
      }
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown) => rejections.push(reason);
      process.on("unhandledRejection", onRejection);
      await addRefusingTrigger(db, users[0]!.username);
      try {
        const { ids } = await burst(users, LoudUser);
        assert.deepEqual(ids, users.map((user) => user.id));
        await LoudUser.settleLogins();
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        await dropRefusingTrigger(db);
        process.off("unhandledRejection", onRejection);
      }
      assert.deepEqual(rejections, []);
      assert.equal(await lastLoginOf(users[0]!.id), null);
      for (const user of users.slice(1)) assert.notEqual(await lastLoginOf(user.id), null, `${user.username} lost its write`);
    });

    async function addRefusingTrigger(database: Database, username: string) {
      const name = sql.lit(username);
      if (engine === "sqlite") {
        await sql`CREATE TRIGGER refuse_login BEFORE UPDATE OF last_login ON piccolo_user WHEN NEW.username = ${name} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`.execute(database.kysely);
      } else if (engine === "postgres") {
        await sql`CREATE FUNCTION refuse_login() RETURNS trigger AS $$ BEGIN IF NEW.username = ${name} THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`.execute(database.kysely);
        await sql`CREATE TRIGGER refuse_login BEFORE UPDATE ON piccolo_user FOR EACH ROW EXECUTE FUNCTION refuse_login()`.execute(database.kysely);
      } else {
        await sql`CREATE TRIGGER refuse_login BEFORE UPDATE ON piccolo_user FOR EACH ROW BEGIN IF NEW.username = ${name} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test'; END IF; END`.execute(database.kysely);
      }
    }

    async function dropRefusingTrigger(database: Database) {
      if (engine === "postgres") {
        await sql`DROP TRIGGER refuse_login ON piccolo_user`.execute(database.kysely);
        await sql`DROP FUNCTION refuse_login()`.execute(database.kysely);
      } else {
        await sql`DROP TRIGGER refuse_login`.execute(database.kysely);
      }
    }
  });
}
