// @variants: galera (the runner also runs these on the Galera cluster, through a multi-host URL)
// SessionStore on each database: the table, token digests, expiry and its extension, removal, and sessions
// ended by a password change.
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { BaseUser, closeDatabases, connect, migrateBackwards, migrateForwards, parseDatabaseUrl, type Database } from "piccolo-ts";
import { SessionStore } from "piccolo-ts/session";
import { digestSessionToken, sessionAuthApp } from "./support/internals.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { createSessionUsers } from "./support/session-site.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

after(async () => {
  await closeDatabases();
});

for (const engine of testEngines) {
  describe(`sessions on ${engine}`, () => {
    let url: string;
    let db: Database;
    let clock = Date.UTC(2031, 0, 1, 12, 0, 0);
    const now = () => new Date(clock);
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    let ids: Record<string, number> = {};

    before(async () => {
      url = await migratedDatabaseUrl(engine, sessionAuthApp);
      TestUser.database = url;
      db = await connect(parseDatabaseUrl(url));
      ids = await createSessionUsers(TestUser);
    });
    after(async () => {
      await db.close();
    });
    beforeEach(() => {
      clock = Date.UTC(2031, 0, 1, 12, 0, 0);
    });

    const rows = async () =>
      (await db.kysely.selectFrom("sessions").selectAll().orderBy("id").execute()) as Record<string, unknown>[];
    const rowFor = async (token: string) =>
      (await db.kysely.selectFrom("sessions").selectAll().where("token", "=", digestSessionToken(token)).executeTakeFirst()) as
        | Record<string, unknown>
        | undefined;
    const storedDate = (value: unknown) => {
      const text = String(value).replace(" ", "T");
      return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
    };


    test("the migration creates piccolo_api's columns with their defaults, and reverses", async () => {
      await db.kysely
        .insertInto("sessions")
        .values({ expiry_date: "2031-01-01 00:00:00", max_expiry_date: "2031-01-02 00:00:00" })
        .execute();
      const row = (await rows()).at(-1)!;
      // piccolo_api's columns, and piccolo-ts's nullable user_binding, NULL in a row written as Python writes one.
      assert.deepEqual(Object.keys(row).sort(), ["expiry_date", "id", "max_expiry_date", "token", "user_binding", "user_id"]);
      assert.equal(row.token, "");
      assert.equal(Number(row.user_id), 0);
      assert.equal(row.user_binding, null);
      await db.kysely.deleteFrom("sessions").execute();
      // piccolo-ts's own migrations go first: the user binding, then the rate-limit table and the token index.
      const binding = await migrateBackwards(sessionAuthApp, { database: url });
      assert.deepEqual(binding.apps[0]!.reversed, ["2026-12-06T17:30:00"]);
      await db.kysely.insertInto("sessions").values({ expiry_date: "2031-01-01 00:00:00", max_expiry_date: "2031-01-02 00:00:00" }).execute();
      assert.deepEqual(Object.keys((await rows()).at(-1)!).sort(), ["expiry_date", "id", "max_expiry_date", "token", "user_id"]);
      await db.kysely.deleteFrom("sessions").execute();
      const own = await migrateBackwards(sessionAuthApp, { database: url });
      assert.deepEqual(own.apps[0]!.reversed, ["2026-12-01T14:40:00"]);
      await assert.rejects(db.kysely.selectFrom("login_attempts").selectAll().execute());
      assert.deepEqual(await rows(), []);
      // piccolo_api's second migration emits no SQL: reversing it leaves the table.
      const secret = await migrateBackwards(sessionAuthApp, { database: url });
      assert.deepEqual(secret.apps[0]!.reversed, ["2026-05-27T16:15:06:677127"]);
      assert.deepEqual(await rows(), []);
      const back = await migrateBackwards(sessionAuthApp, { database: url });
      assert.deepEqual(back.apps[0]!.reversed, ["2019-11-12T20:47:17"]);
      const tables = (await db.kysely.introspection.getTables()).map((table) => table.name);
      assert.ok(!tables.includes("sessions"), `the sessions table is still there: ${tables.join(", ")}`);
      await assert.rejects(db.kysely.selectFrom("sessions").selectAll().execute(), /no such table: sessions|relation "sessions" does not exist|Table '[^']*\.sessions' doesn't exist/);
      await migrateForwards(sessionAuthApp, { database: url });
      assert.deepEqual(await rows(), []);
    });

    test("a session stores only the SHA-256 digest of a 32-byte URL-safe token", async () => {
      const store = new SessionStore({ database: url, now });
      const session = await store.create(ids.alice!);
      assert.match(session.token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(session.token, "base64url").length, 32);
      const row = await rowFor(session.token);
      assert.ok(row);
      assert.equal(row.token, createHash("sha256").update(session.token).digest("hex"));
      assert.notEqual(row.token, session.token);
      const all = JSON.stringify(await rows());
      assert.ok(!all.includes(session.token), "the token itself is nowhere in the table");
      assert.equal(Number(row.user_id), ids.alice);
      assert.equal(storedDate(row.expiry_date), clock + HOUR);
      assert.equal(storedDate(row.max_expiry_date), clock + 7 * DAY);
      assert.equal(await store.resolve(session.token), ids.alice);
      // The digest itself, a raw token stored Piccolo's way, and garbage are not sessions.
      assert.equal(await store.resolve(row.token), null);
      assert.equal(await store.resolve("x"), null);
      assert.equal(await store.resolve(undefined), null);
      const piccoloStyle = (await store.create(ids.alice!)).token;
      await db.kysely.updateTable("sessions").set({ token: piccoloStyle }).where("token", "=", digestSessionToken(piccoloStyle)).execute();
      assert.equal(await store.resolve(piccoloStyle), null);
      await db.kysely.deleteFrom("sessions").execute();
    });

    test("expiry: honoured, extended by 20 minutes when less is left, never past the max expiry", async () => {
      const store = new SessionStore({ database: url, now, expiry: HOUR, maxExpiry: 90 * MINUTE });
      const { token } = await store.create(ids.alice!);
      const start = clock;
      const expiryOf = async () => storedDate((await rowFor(token))!.expiry_date);

      clock = start + 30 * MINUTE; // 30 minutes left: more than 20, no write
      assert.equal(await store.resolve(token), ids.alice);
      assert.equal(await expiryOf(), start + HOUR);

      clock = start + 50 * MINUTE; // 10 minutes left: +20
      const info = await store.lookup(token);
      assert.equal(info?.expiryDate.getTime(), start + 80 * MINUTE);
      assert.equal(await expiryOf(), start + 80 * MINUTE);

      clock = start + 75 * MINUTE; // 5 left: +20 would pass the max (90): capped
      assert.equal(await store.resolve(token), ids.alice);
      assert.equal(await expiryOf(), start + 90 * MINUTE);

      clock = start + 90 * MINUTE - 1; // still live, nothing more to extend
      assert.equal(await store.resolve(token), ids.alice);
      assert.equal(await expiryOf(), start + 90 * MINUTE);

      clock = start + 90 * MINUTE; // the max expiry: over, and the row goes
      assert.equal(await store.resolve(token), null);
      assert.equal(await rowFor(token), undefined);
    });

    test("an unused session ends at its expiry date even far from its max expiry", async () => {
      const store = new SessionStore({ database: url, now });
      const { token } = await store.create(ids.alice!);
      clock += HOUR;
      assert.equal(await store.resolve(token), null);
      assert.equal(await rowFor(token), undefined);
    });

    test("remove, removeAllForUser, removeExpired", async () => {
      const store = new SessionStore({ database: url, now });
      const a1 = await store.create(ids.alice!);
      const a2 = await store.create(ids.alice!);
      const b1 = await store.create(ids.boss!);
      await store.remove(a1.token);
      assert.equal(await store.resolve(a1.token), null);
      assert.equal(await store.resolve(a2.token), ids.alice);
      assert.equal(await store.removeAllForUser(ids.alice!), 1);
      assert.equal(await store.resolve(a2.token), null);
      assert.equal(await store.resolve(b1.token), ids.boss);
      clock += 2 * HOUR;
      assert.equal(await store.removeExpired(), 1);
      assert.deepEqual(await rows(), []);
    });

    test("changing a password ends all of that user's sessions (BaseUser.updatePassword)", async () => {
      const store = new SessionStore({ database: url, now });
      const s1 = await store.create(ids.plain!);
      const s2 = await store.create(ids.plain!);
      const other = await store.create(ids.alice!);
      await TestUser.updatePassword("plain", "plain-pass2");
      assert.equal(await store.resolve(s1.token), null);
      assert.equal(await store.resolve(s2.token), null);
      assert.equal(await store.resolve(other.token), ids.alice);
      await TestUser.updatePassword("plain", "plain-pass1");
      await db.kysely.deleteFrom("sessions").execute();
    });
  });
}
