// @variants: galera (the runner also runs these on the Galera cluster, through a multi-host URL)
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Hono } from "hono";
import { BaseUser, closeDatabases, connect, migrateBackwards, migrateForwards, parseDatabaseUrl, type Database } from "piccolo-ts";
import { LOGIN_FAILED_MESSAGE, LoginRateLimiter, SessionStore, createSessionAuth, getSessionUser } from "piccolo-ts/session";
import { MemoryAttemptStore, digestSessionToken, sessionAuthApp } from "./support/internals.js";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { FakeBrowser } from "./support/browser.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

after(async () => {
  await closeDatabases();
});

describe("LoginRateLimiter (memory store)", () => {
  test("a (username, address) pair gets 5 attempts per 15 minutes; a success gives its attempt back", async () => {
    let now = 1_000_000;
    const limiter = new LoginRateLimiter({ now: () => now });
    const tickets = [];
    for (let i = 0; i < 5; i++) {
      const decision = await limiter.begin("alice", "10.0.0.1");
      assert.equal(decision.allowed, true);
      if (decision.allowed) tickets.push(decision.ticket);
      now += MINUTE;
    }
    const refused = await limiter.begin("alice", "10.0.0.1");
    assert.deepEqual(refused, { allowed: false, retryAfter: 10 * 60 });
    await tickets[0]!.succeeded();
    await tickets[0]!.succeeded(); // once only
    assert.equal((await limiter.begin("alice", "10.0.0.1")).allowed, true);
    assert.equal((await limiter.begin("alice", "10.0.0.1")).allowed, false);
    // Another address for the same username is not locked out.
    assert.equal((await limiter.begin("alice", "10.0.0.2")).allowed, true);
    now += 10 * MINUTE; // the window has ended
    assert.equal((await limiter.begin("alice", "10.0.0.1")).allowed, true);
  });

  test("an address gets 20 attempts per 15 minutes over any usernames", async () => {
    const limiter = new LoginRateLimiter({ now: () => 0 });
    for (let i = 0; i < 20; i++) assert.equal((await limiter.begin(`guess${i}`, "192.0.2.1")).allowed, true, `attempt ${i}`);
    assert.deepEqual(await limiter.begin("alice", "192.0.2.1"), { allowed: false, retryAfter: 15 * 60 });
    assert.equal((await limiter.begin("alice", "192.0.2.2")).allowed, true);
  });

  test("a username from many addresses: 10 at once, then a delay growing by a second per attempt, never a lock-out", async () => {
    let now = 0;
    const limiter = new LoginRateLimiter({ now: () => now });
    for (let i = 0; i < 10; i++) assert.equal((await limiter.begin("alice", `10.9.0.${i}`)).allowed, true);
    // The 11th waits 1 s, the 12th 2 s more, the 13th 3 s more; refusals are not counted.
    assert.deepEqual(await limiter.begin("alice", "10.9.1.1"), { allowed: false, retryAfter: 1 });
    now += 1000;
    assert.equal((await limiter.begin("alice", "10.9.1.1")).allowed, true);
    assert.deepEqual(await limiter.begin("alice", "10.9.1.2"), { allowed: false, retryAfter: 2 });
    now += 2000;
    assert.equal((await limiter.begin("alice", "10.9.1.2")).allowed, true);
    assert.deepEqual(await limiter.begin("alice", "10.9.1.3"), { allowed: false, retryAfter: 3 });
    // A refused attempt gave back what the pair and the address had taken.
    for (let i = 0; i < 30; i++) await limiter.begin("alice", "10.9.1.3");
    now += 3000;
    assert.equal((await limiter.begin("alice", "10.9.1.3")).allowed, true);
  });

  test("keys are digests, so a huge username costs no memory; the memory store stays bounded", async () => {
    const key = LoginRateLimiter.usernameKey("x".repeat(1_000_000));
    assert.ok(key.length < 60);
    assert.notEqual(key, LoginRateLimiter.usernameKey("X".repeat(1_000_000)));
    const store = new MemoryAttemptStore(50);
    const limiter = new LoginRateLimiter({ store, now: () => 0 });
    for (let i = 0; i < 200; i++) await limiter.begin(`user${i}`, `10.8.${i}.1`);
    assert.ok(store.size <= 50, `kept ${store.size} buckets`);
  });
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
    const ids: Record<string, number> = {};

    before(async () => {
      url = await migratedDatabaseUrl(engine, sessionAuthApp);
      TestUser.database = url;
      db = await connect(parseDatabaseUrl(url));
      const make = async (username: string, flags: { active?: boolean; admin?: boolean; superuser?: boolean }) => {
        ids[username] = (await TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, ...flags })).id;
      };
      await make("alice", { active: true, admin: true });
      await make("boss", { active: true, admin: true, superuser: true });
      await make("plain", { active: true });
      await make("sleeper", { active: false, admin: true });
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

    // ----- the HTTP layer ------------------------------------------------------------------------

    function makeApp(options: Parameters<typeof createSessionAuth>[0] = {}) {
      const auth = createSessionAuth({ userClass: TestUser, now, ...options });
      const app = new Hono();
      app.use("*", auth.middleware());
      app.route("/auth", auth.routes());
      app.get("/private", auth.guard(), (c) => c.json({ username: getSessionUser(c)?.username }));
      app.get("/su", auth.guard({ superuserOnly: true }), (c) => c.text("superuser area"));
      app.post("/private/action", auth.guard(), (c) => c.text("done"));
      app.post("/open", (c) => c.text("posted"));
      return { auth, app };
    }
    const browserFor = (app: Hono, address = "10.0.0.1", origin = "http://localhost") =>
      new FakeBrowser((target, init) => app.request(target, init, { incoming: { socket: { remoteAddress: address } } }), origin);

    test("the login page labels the field \"Username or email\" for a class that logs in by email", async () => {
      class EmailUser extends TestUser {
        static override loginWithEmail = true;
      }
      const byEmail = await browserFor(makeApp({ userClass: EmailUser }).app).get("/auth/login");
      assert.match(await byEmail.text(), /<label for="username">Username or email<\/label>/);
      const byName = await browserFor(makeApp().app).get("/auth/login");
      assert.match(await byName.text(), /<label for="username">Username<\/label>/);
    });

    test("login sets an HttpOnly, SameSite=Lax session cookie; the guard lets the user in; logout ends it server-side", async () => {
      const { app, auth } = makeApp();
      const browser = browserFor(app);
      assert.equal((await browser.get("/private")).status, 401);
      const page = await browser.get("/auth/login");
      assert.equal(page.status, 200);
      const text = await page.text();
      assert.match(text, /<label for="username">/);
      assert.match(text, new RegExp(`name="csrftoken" value="${browser.csrf()}"`));

      const login = await browser.postJson("/auth/login", { username: "alice", password: "alice-pass1" });
      assert.equal(login.status, 200);
      assert.equal(((await login.json()) as { user: { username: string } }).user.username, "alice");
      const cookie = browser.cookies.get("id");
      assert.ok(cookie);
      assert.match(cookie.attributes, /HttpOnly/i);
      assert.match(cookie.attributes, /SameSite=Lax/i);
      assert.match(cookie.attributes, /Path=\//);
      assert.doesNotMatch(cookie.attributes, /Secure/i);
      assert.deepEqual(await (await browser.get("/private")).json(), { username: "alice" });
      assert.equal((await browser.get("/su")).status, 403);
      assert.equal(await (await browser.postForm("/private/action", {})).text(), "done");

      const token = cookie.value;
      assert.equal(await auth.store.resolve(token), ids.alice);
      const logout = await browser.postForm("/auth/logout", {});
      assert.equal(logout.status, 303);
      assert.equal(await auth.store.resolve(token), null);
      assert.equal(browser.cookie("id"), undefined);
      // Replaying the old cookie does not help.
      const replay = await browser.request("/private", { headers: { cookie: `id=${token}` } });
      assert.equal(replay.status, 401);
    });

    test("Secure cookies over HTTPS, the CSRF cookie as __Host-; a form login redirects only within the site", async () => {
      const { app } = makeApp({ allowedHosts: ["example.com"] });
      const browser = browserFor(app, "10.0.0.2", "https://example.com");
      await browser.get("/auth/login");
      assert.equal(browser.cookies.get("csrftoken"), undefined);
      assert.match(browser.cookies.get("__Host-csrftoken")!.attributes, /Secure/i);
      assert.match(browser.cookies.get("__Host-csrftoken")!.attributes, /Path=\/(;|$)/i);
      const login = await browser.postForm("/auth/login", { username: "boss", password: "boss-pass1", next: "//evil.example/x" });
      assert.equal(login.status, 303);
      assert.equal(login.headers.get("location"), "/");
      assert.match(browser.cookies.get("__Host-id")!.attributes, /Secure/i);
      const again = await browser.postForm("/auth/login", { username: "boss", password: "boss-pass1", next: "/su" });
      assert.equal(again.headers.get("location"), "/su");
      assert.equal(await (await browser.get("/su")).text(), "superuser area");
    });

    test("inactive, non-admin, unknown and wrong-password logins all get the same answer", async () => {
      const { app } = makeApp({ rateLimiter: false });
      const answers = new Set<string>();
      for (const [username, password] of [
        ["sleeper", "sleeper-pass1"], // right password, inactive
        ["plain", "plain-pass1"], // right password, not an admin
        ["nobody", "whatever-1"], // no such user
        ["alice", "wrong-password"],
      ]) {
        const browser = browserFor(app);
        await browser.get("/auth/login");
        const json = await browser.postJson("/auth/login", { username, password });
        assert.equal(json.status, 401, username);
        answers.add(JSON.stringify(await json.json()));
        const form = await browser.postForm("/auth/login", { username: username!, password: password! });
        assert.equal(form.status, 401);
        assert.ok((await form.text()).includes(LOGIN_FAILED_MESSAGE.replace(/'/g, "&#39;")));
        assert.equal(browser.cookie("id"), undefined);
      }
      assert.deepEqual([...answers], [JSON.stringify({ error: LOGIN_FAILED_MESSAGE })]);
    });

    test("the guard's rules: adminOnly off lets a non-admin in, activeOnly stays", async () => {
      const { app } = makeApp({ adminOnly: false });
      const browser = browserFor(app);
      await browser.get("/auth/login");
      assert.equal((await browser.postJson("/auth/login", { username: "plain", password: "plain-pass1" })).status, 200);
      assert.equal((await browser.get("/private")).status, 200);
      const sleeper = browserFor(app);
      await sleeper.get("/auth/login");
      assert.equal((await sleeper.postJson("/auth/login", { username: "sleeper", password: "sleeper-pass1" })).status, 401);
    });

    test("a deactivated user's session stops working at once", async () => {
      const { app } = makeApp();
      const browser = browserFor(app);
      await browser.get("/auth/login");
      await browser.postJson("/auth/login", { username: "alice", password: "alice-pass1" });
      assert.equal((await browser.get("/private")).status, 200);
      await TestUser.changePermissions("alice", { active: false });
      try {
        assert.equal((await browser.get("/private")).status, 401);
      } finally {
        await TestUser.changePermissions("alice", { active: true });
      }
    });

    test("CSRF: state-changing requests without the token, with a wrong one, or from another origin are refused", async () => {
      const { app } = makeApp();
      const browser = browserFor(app);
      await browser.get("/auth/login");
      const noToken = await browser.postJson("/auth/login", { username: "alice", password: "alice-pass1" }, { csrf: false });
      assert.equal(noToken.status, 403);
      assert.equal(browser.cookie("id"), undefined);
      await browser.postJson("/auth/login", { username: "alice", password: "alice-pass1" });
      assert.ok(browser.cookie("id"));
      assert.equal((await browser.postForm("/private/action", {}, { csrf: false })).status, 403);
      assert.equal((await browser.postForm("/open", {}, { csrf: false })).status, 403);
      const wrong = await browser.request("/private/action", {
        method: "POST",
        headers: { "x-csrftoken": "A".repeat(43), "content-type": "application/json" },
        body: "{}",
      });
      assert.equal(wrong.status, 403);
      const crossSite = await browser.postForm("/private/action", {}, { headers: { origin: "http://evil.example" } });
      assert.equal(crossSite.status, 403);
      const fetchSite = await browser.postForm("/private/action", {}, { headers: { "sec-fetch-site": "cross-site" } });
      assert.equal(fetchSite.status, 403);
      const sameOrigin = await browser.postForm("/private/action", {}, { headers: { origin: "http://localhost" } });
      assert.equal(sameOrigin.status, 200);
      // A token that is not also the browser's cookie is refused: a page on another site cannot invent one.
      const fresh = new FakeBrowser((target, init) => app.request(target, init));
      const invented = await fresh.request("/open", {
        method: "POST",
        headers: { "x-csrftoken": "B".repeat(43), cookie: `csrftoken=${"C".repeat(43)}` },
      });
      assert.equal(invented.status, 403);
    });

    test("5 failed logins for one username from one address → 429 with Retry-After, whether or not the user exists", async () => {
      let ms = 0;
      const limiter = new LoginRateLimiter({ now: () => ms });
      const { app } = makeApp({ rateLimiter: limiter });
      for (const username of ["alice", "no-such-user"]) {
        const browser = browserFor(app, `10.1.0.${username.length}`);
        await browser.get("/auth/login");
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          statuses.push((await browser.postJson("/auth/login", { username, password: "wrong-password" })).status);
        }
        assert.deepEqual(statuses, [401, 401, 401, 401, 401]);
        // Even the right password waits, from that address.
        const blocked = await browser.postJson("/auth/login", { username, password: `${username}-pass1` });
        assert.equal(blocked.status, 429);
        assert.equal(blocked.headers.get("retry-after"), String(15 * 60));
        const body = (await blocked.json()) as { error: string };
        assert.match(body.error, /Too many login attempts/);
        const form = await browser.postForm("/auth/login", { username, password: "x" });
        assert.equal(form.status, 429);
        assert.ok(form.headers.get("retry-after"));
      }
      ms += 15 * MINUTE;
      const later = browserFor(app, "10.1.0.5");
      await later.get("/auth/login");
      assert.equal((await later.postJson("/auth/login", { username: "alice", password: "alice-pass1" })).status, 200);
    });

    test("logging in again replaces the browser's previous session", async () => {
      const { app, auth } = makeApp();
      const browser = browserFor(app);
      await browser.get("/auth/login");
      await browser.postJson("/auth/login", { username: "alice", password: "alice-pass1" });
      const first = browser.cookie("id")!;
      await browser.postJson("/auth/login", { username: "boss", password: "boss-pass1" });
      assert.notEqual(browser.cookie("id"), first);
      assert.equal(await auth.store.resolve(first), null);
      assert.deepEqual(await (await browser.get("/private")).json(), { username: "boss" });
    });
  });
}
