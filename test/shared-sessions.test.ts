// Sessions shared with a Python app (`tokens: "piccolo"`): piccolo_api's rows (token as is, naive
// wall-clock dates of the Python process's time zone; test/fixtures/piccolo-api/sessions.json) log in
// through our middleware, ours are written in that form, and the default digest mode honours neither as
// the other.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Hono } from "hono";
import { BaseUser, closeDatabases, type Database } from "piccolo-ts";
import { SessionStore, createSessionAuth, getSessionUser } from "piccolo-ts/session";
import { digestSessionToken, generateSessionToken } from "./support/internals.js";
import type * as SharedModule from "../dist/session/shared-sessions.js";
import { root } from "./support/cli.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";

after(() => closeDatabases());

const { toWallClock, fromWallClock } = (await import(new URL("../../dist/session/shared-sessions.js", import.meta.url).href)) as typeof SharedModule;
const sessions = JSON.parse(readFileSync(path.join(root, "test/fixtures/piccolo-api/sessions.json"), "utf8"));
const TOKYO = sessions.runs["sqlite|Asia/Tokyo"];
type Cell = { stored?: string; text?: string };

describe("piccolo_api's wall-clock dates", () => {
  it("are written and read in the Python process's time zone, DST included", () => {
    const utcNow = new Date(TOKYO.utc_now);
    assert.equal(toWallClock(utcNow, "Asia/Tokyo").slice(0, 23), TOKYO.python_local_now.replace("T", " ").slice(0, 23));
    const [row] = TOKYO.table.create_session_defaults.raw as Record<string, Cell>[];
    const expiry = fromWallClock(row!.expiry_date!.stored, "Asia/Tokyo")!;
    assert.equal(Math.round((expiry.getTime() - utcNow.getTime()) / 60_000), 60, "Python's now + 1 h");
    // Berlin's autumn change: 02:30 happens twice; the earlier instant is taken. Spring: 02:30 never happens.
    assert.equal(fromWallClock("2026-10-25 02:30:00", "Europe/Berlin")!.toISOString(), "2026-10-25T00:30:00.000Z");
    assert.equal(toWallClock(new Date("2026-10-25T01:30:00Z"), "Europe/Berlin"), "2026-10-25 02:30:00");
    assert.equal(fromWallClock("2026-07-01 12:00:00", "Europe/Berlin")!.toISOString(), "2026-07-01T10:00:00.000Z");
  });
});

for (const engine of testEngines) {
  describe(`sessions shared with piccolo_api on ${engine}`, () => {
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    let db: Database;
    let url: string;
    let userId: number;
    const utcNow = new Date(TOKYO.utc_now);
    const now = () => utcNow;

    it("prepares a database", async () => {
      url = await migratedDatabaseUrl(engine, "session_auth");
      TestUser.database = url;
      db = await TestUser.getDatabase();
      userId = (await TestUser.createUser({ username: "dave", password: "dave-pass1", email: "dave@example.com", active: true, admin: true })).id;
    });

    it("a row written in piccolo_api's form logs in through our middleware; digest mode ignores it", async () => {
      const [row] = TOKYO.table.create_session_defaults.raw as Record<string, Cell>[];
      const token = String(row!.token!.stored);
      await db.kysely.insertInto("sessions").values({ token, user_id: userId, expiry_date: row!.expiry_date!.stored, max_expiry_date: row!.max_expiry_date!.stored }).execute();

      const shared = new SessionStore({ database: url, tokens: "piccolo", sharedTimeZone: "Asia/Tokyo", now, extension: 0 });
      assert.equal(await shared.resolve(token), userId);
      assert.equal(await new SessionStore({ database: url, now, extension: 0 }).resolve(token), null, "digest mode");
      // Read as UTC the expiry would still be 9 hours away: the time zone decides.
      const later = new SessionStore({ database: url, tokens: "piccolo", sharedTimeZone: "Asia/Tokyo", now: () => new Date(utcNow.getTime() + 61 * 60_000), extension: 0 });
      assert.equal(await later.resolve(token), null, "expired an hour after Python's now");

      const auth = createSessionAuth({ userClass: TestUser, store: { tokens: "piccolo", sharedTimeZone: "Asia/Tokyo", now, extension: 0 }, rateLimit: false });
      const app = new Hono();
      app.get("/me", auth.guard(), (c) => c.json({ username: getSessionUser(c)?.username }));
      await db.kysely.insertInto("sessions").values({ token, user_id: userId, expiry_date: row!.expiry_date!.stored, max_expiry_date: row!.max_expiry_date!.stored }).execute();
      const response = await app.request("http://localhost/me", { headers: { cookie: `id=${token}`, accept: "application/json" } });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { username: "dave" });
    });

    it("our sessions in piccolo mode are stored as piccolo_api reads them; digest rows are not honoured in piccolo mode", async () => {
      const shared = new SessionStore({ database: url, tokens: "piccolo", sharedTimeZone: "Asia/Tokyo", now });
      const created = await shared.create(userId);
      const row = (await db.kysely.selectFrom("sessions").selectAll().where("token", "=", created.token).executeTakeFirst()) as Record<string, unknown> | undefined;
      assert.ok(row, "WHERE token = <token> finds it, as piccolo_api looks it up");
      const expiry = String(row.expiry_date);
      assert.match(expiry, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$/, "naive: datetime.fromisoformat reads it, and it compares with Python's naive now");
      assert.equal(expiry.slice(0, 16), toWallClock(new Date(utcNow.getTime() + 60 * 60_000), "Asia/Tokyo").slice(0, 16), "Tokyo's wall clock + 1 h");

      const digest = new SessionStore({ database: url, now });
      const ours = await digest.create(userId);
      const stored = await db.kysely.selectFrom("sessions").select("token").where("token", "=", digestSessionToken(ours.token)).executeTakeFirst();
      assert.ok(stored);
      assert.equal(await shared.resolve(ours.token), null);
      assert.equal(await digest.resolve(created.token), null);
      assert.equal(await shared.resolve(generateSessionToken()), null);
    });

    it("a password change ends the sessions of both forms", async () => {
      const shared = new SessionStore({ database: url, tokens: "piccolo", sharedTimeZone: "Asia/Tokyo", now });
      const created = await shared.create(userId);
      await TestUser.updatePassword("dave", "dave-pass2");
      assert.equal(await shared.resolve(created.token), null);
      assert.equal(await shared.countForUser(userId), 0);
    });
  });
}
