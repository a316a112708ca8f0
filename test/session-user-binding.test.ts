// Issue 19, attack 1: a session never passes to the next user who gets a deleted user's id. SQLite gives
// the highest id again after a delete, and `sessions.user_id` has no foreign key; here the user row is
// deleted the way Python Piccolo, Piccolo Admin or a plain DELETE does it (on another connection, leaving
// the session rows), and a new superuser is made at the same id (on PostgreSQL and MariaDB by an explicit
// INSERT of the id, since their sequences do not go back).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { BaseUser, closeDatabases, connect, hashPassword, parseDatabaseUrl, type Database } from "piccolo-ts";
import { createSessionAuth, getSessionUser, SessionStore } from "piccolo-ts/session";
import { digestSessionToken, sessionAuthApp } from "./support/internals.js";
import { testEngines, type EngineName } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { FakeBrowser } from "./support/browser.js";

const MINUTE = 60_000;

after(async () => {
  await closeDatabases();
});

for (const engine of testEngines) {
  describe(`a session is bound to its user row on ${engine}`, () => {
    let url: string;
    /** A connection of its own, as another program (Python, an SQL console) would have. */
    let outside: Database;

    /** Holds a login between its password check and its session while a test deletes the user. */
    let hold: { reached(): void; release: Promise<void> } | null = null;
    class TestUser extends BaseUser {
      static override iterations = 1000;
      // The password is checked inside login (its one query gives the session layer the user too).
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      static override async login(...args: any[]): Promise<number | null> {
        const id = await (BaseUser.login as (...a: unknown[]) => Promise<number | null>).apply(this, args);
        const held = hold;
        if (held && id !== null) {
          hold = null;
          held.reached();
          await held.release;
        }
        return id;
      }
    }

    before(async () => {
      url = await migratedDatabaseUrl(engine, sessionAuthApp);
      TestUser.database = url;
      outside = await connect(parseDatabaseUrl(url));
      await TestUser.createUser({ username: "owner", password: "owner-pass1", email: "owner@example.com", active: true, admin: true, superuser: true });
    });
    after(async () => {
      await outside.close();
    });

    function site() {
      const auth = createSessionAuth({ userClass: TestUser, rateLimit: false });
      const app = new Hono();
      app.use("*", auth.middleware());
      app.route("/auth", auth.routes());
      app.get("/whoami", auth.guard(), (c) => {
        const user = getSessionUser(c)!;
        return c.text(`Logged in as ${user.username}${user.superuser ? " (superuser)" : ""}`);
      });
      return { auth, app, browser: new FakeBrowser((target, init) => app.request(target, init)) };
    }

    async function logIn(browser: FakeBrowser, username: string, password: string): Promise<Response> {
      await browser.get("/auth/login");
      return browser.postJson("/auth/login", { username, password });
    }

    /** The newest user, so that on SQLite the next one created gets its id again. */
    async function staffAdmin(username: string) {
      return TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, active: true, admin: true });
    }

    /** Deletes the user row only, as Python Piccolo, Piccolo Admin or a plain DELETE does. */
    async function deleteOutside(id: number): Promise<void> {
      await outside.kysely.deleteFrom("piccolo_user").where("id", "=", id).execute();
    }

    /**
     * `base` with a fault: once `trigger` accepts a query's rows, the user is deleted outside (another
     * connection) before the store sees them; `events` records the order.
     */
    function deletingAfter(base: Database, userId: number, events: string[], seen: string, trigger: (rows: unknown[]) => boolean): Database {
      return {
        ...base,
        kysely: base.kysely.withPlugin({
          transformQuery: (args) => args.node,
          transformResult: async (args) => {
            if (trigger(args.result.rows ?? [])) {
              events.push(seen);
              await deleteOutside(userId);
              events.push("user deleted");
            }
            return args.result;
          },
        }),
      } as Database;
    }

    /** A new superuser at `id`: SQLite reuses the highest id by itself; the servers are given it. */
    async function newSuperuserAt(id: number, username: string, database: EngineName = engine): Promise<void> {
      if (database === "sqlite") {
        const created = await TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, active: true, admin: true, superuser: true });
        assert.equal(created.id, id, "SQLite gave the deleted user's id to the next user");
        return;
      }
      await outside.kysely
        .insertInto("piccolo_user")
        .values({ id, username, password: await hashPassword(`${username}-pass1`, 1000), email: `${username}@example.com`, active: true, admin: true, superuser: true })
        .execute();
    }

    const sessionRows = (userId: number) => outside.kysely.selectFrom("sessions").selectAll().where("user_id", "=", userId).execute();

    test("a deleted admin's cookie does not log in as the next user given the same id", async () => {
      const { browser } = site();
      const boss = await staffAdmin("oldboss");
      assert.equal((await logIn(browser, "oldboss", "oldboss-pass1")).status, 200);
      assert.equal(await (await browser.get("/whoami")).text(), "Logged in as oldboss");

      await deleteOutside(boss.id);
      assert.equal((await browser.get("/whoami")).status, 401);
      await newSuperuserAt(boss.id, "newboss");

      const answer = await browser.get("/whoami");
      assert.equal(answer.status, 401, `the old cookie answered: ${await answer.clone().text()}`);
      assert.deepEqual(await sessionRows(boss.id), [], "the dead session row is deleted when presented");
      await TestUser.deleteUser(boss.id);
    });

    test("the same through the store: a session made before the delete never resolves for the new user", async () => {
      const store = new SessionStore({ database: url, userTable: TestUser.tableName });
      const boss = await staffAdmin("storeboss");
      const { token } = await store.create(boss.id);
      assert.equal(await store.resolve(token), boss.id);
      await deleteOutside(boss.id);
      await newSuperuserAt(boss.id, "storenew");
      assert.equal(await store.resolve(token), null);
      await TestUser.deleteUser(boss.id);
    });

    test("an orphan session is not extended: the user is checked before the expiry moves", async () => {
      let clock = Date.UTC(2031, 0, 1, 12, 0, 0);
      const store = new SessionStore({ database: url, userTable: TestUser.tableName, now: () => new Date(clock), expiry: 60 * MINUTE, extension: 20 * MINUTE });
      const user = await staffAdmin("orphaned");
      const { token, expiryDate } = await store.create(user.id);
      clock += 50 * MINUTE; // 10 minutes left: a live session would be extended now
      await deleteOutside(user.id);
      assert.equal(await store.lookup(token), null);
      const rows = await sessionRows(user.id);
      // Deleted as dead; a row left behind must at least keep its old expiry.
      for (const row of rows) assert.equal(new Date(`${String(row.expiry_date).replace(" ", "T")}Z`).getTime(), expiryDate.getTime());
      assert.deepEqual(rows, []);
    });

    test("a delete landing between the session lookup and its extension leaves the expiry as it was", async () => {
      let clock = Date.UTC(2031, 0, 1, 12, 0, 0);
      const user = await staffAdmin("midextend");
      const base = await connect(parseDatabaseUrl(url));
      let armed = false;
      const events: string[] = [];
      // The lookup's rows carry the user's hash (bound_password): delete the user right after them.
      const database = deletingAfter(base, user.id, events, "session looked up", (rows) => {
        const hit = armed && rows.some((row) => "bound_password" in (row as object));
        if (hit) armed = false;
        return hit;
      });
      try {
        const store = new SessionStore({ database, userTable: TestUser.tableName, now: () => new Date(clock), expiry: 60 * MINUTE, extension: 20 * MINUTE });
        const { token, expiryDate } = await store.create(user.id);
        clock += 50 * MINUTE; // 10 minutes left: the lookup wants to extend it
        armed = true;
        await store.lookup(token);
        events.push("lookup done");
        assert.deepEqual(events, ["session looked up", "user deleted", "lookup done"]);
        const [row] = await sessionRows(user.id);
        assert.ok(row, "the session row is still there (it was live when looked up)");
        assert.equal(new Date(`${String(row.expiry_date).replace(" ", "T")}Z`).getTime(), expiryDate.getTime(), "the orphan was extended");
        assert.equal(await store.lookup(token), null);
      } finally {
        await base.close();
      }
    });

    test("a password hash replaced outside piccolo-ts (as Python's update_password does) ends the sessions", async () => {
      const store = new SessionStore({ database: url, userTable: TestUser.tableName });
      const user = await staffAdmin("rehashed");
      const { token } = await store.create(user.id);
      await outside.kysely.updateTable("piccolo_user").set({ password: await hashPassword("another-pass1", 1000) }).where("id", "=", user.id).execute();
      assert.equal(await store.resolve(token), null);
      await TestUser.deleteUser(user.id);
    });

    test("a row without the binding (as Python's piccolo_api writes them) is refused", async () => {
      const store = new SessionStore({ database: url, userTable: TestUser.tableName });
      const user = await staffAdmin("pythonic");
      const { token } = await store.create(user.id);
      await outside.kysely.updateTable("sessions").set({ user_binding: null }).where("token", "=", digestSessionToken(token)).execute();
      assert.equal(await store.resolve(token), null);
      // Another user's binding copied onto the row does not work either: it is keyed by the token.
      const other = await store.create(user.id);
      const copied = (await outside.kysely.selectFrom("sessions").select("user_binding").where("token", "=", digestSessionToken(other.token)).executeTakeFirstOrThrow()).user_binding;
      const third = await store.create(user.id);
      await outside.kysely.updateTable("sessions").set({ user_binding: copied }).where("token", "=", digestSessionToken(third.token)).execute();
      assert.equal(await store.resolve(third.token), null);
      assert.equal(await store.resolve(other.token), user.id);
      await TestUser.deleteUser(user.id);
    });

    test("a delete landing between the session's user read and its insert leaves only a dead row", async () => {
      const user = await staffAdmin("between");
      const base = await connect(parseDatabaseUrl(url));
      const events: string[] = [];
      // The store's own connection, with the delete run (on another connection) right after the store has
      // read the user row and before it writes the session.
      const database = deletingAfter(base, user.id, events, "user read", (rows) => events.length === 0 && JSON.stringify(rows).includes("pbkdf2_sha256$"));
      try {
        const store = new SessionStore({ database, userTable: TestUser.tableName });
        const { token } = await store.create(user.id);
        events.push("session written");
        assert.deepEqual(events, ["user read", "user deleted", "session written"], "the delete came between the read and the write");
        assert.equal((await sessionRows(user.id)).length, 1, "the orphan row is there");
        await newSuperuserAt(user.id, "betweennew");
        assert.equal(await store.resolve(token), null);
        assert.deepEqual(await sessionRows(user.id), []);
      } finally {
        await base.close();
      }
      await TestUser.deleteUser(user.id);
    });

    test("a login racing a delete leaves no session that a later user at the id could use", async () => {
      const { browser } = site();
      const user = await staffAdmin("racer");
      await browser.get("/auth/login");
      const events: string[] = [];
      let reached!: () => void;
      let release!: () => void;
      const atCheck = new Promise<void>((resolve) => (reached = resolve));
      hold = { reached: () => reached(), release: new Promise<void>((resolve) => (release = resolve)) };

      events.push("login starts");
      const login = browser.postJson("/auth/login", { username: "racer", password: "racer-pass1" }).then((answer) => {
        events.push("login ends");
        return answer;
      });
      await atCheck; // the password is checked, the session not yet made
      await deleteOutside(user.id);
      events.push("user deleted");
      release();
      const answer = await login;
      assert.deepEqual(events, ["login starts", "user deleted", "login ends"], "the delete happened inside the login");

      assert.equal(answer.status, 401);
      assert.deepEqual(await sessionRows(user.id), []);
      await newSuperuserAt(user.id, "racewinner");
      assert.equal((await browser.get("/whoami")).status, 401);
      await TestUser.deleteUser(user.id);
    });
  });
}
