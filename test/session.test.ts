// @variants: galera (the runner also runs these on the Galera cluster, through a multi-host URL)
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Hono } from "hono";
import {
  BaseUser,
  LOGIN_FAILED_MESSAGE,
  LoginRateLimiter,
  SessionStore,
  closeDatabases,
  connect,
  createSessionAuth,
  digestSessionToken,
  getSessionUser,
  migrateBackwards,
  migrateForwards,
  parseDatabaseUrl,
  sessionAuthApp,
  type Database,
} from "piccolo-ts";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";
import { FakeBrowser } from "./support/browser.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

after(async () => {
  await closeDatabases();
});

describe("LoginRateLimiter", () => {
  test("refuses after 5 failures in 15 minutes, for as long as the oldest one stays in the window", () => {
    let now = 1_000_000;
    const limiter = new LoginRateLimiter({ now: () => now });
    const keys = ["user:a", "addr:1"];
    for (let i = 0; i < 4; i++) {
      assert.equal(limiter.retryAfter(keys), null);
      limiter.recordFailure(keys);
      now += MINUTE;
    }
    assert.equal(limiter.retryAfter(keys), null);
    limiter.recordFailure(keys); // the fifth, at +4 minutes
    assert.equal(limiter.retryAfter(keys), 15 * 60 - 4 * 60);
    assert.equal(limiter.retryAfter(["user:a"]), 11 * 60);
    assert.equal(limiter.retryAfter(["user:b"]), null);
    now += 11 * MINUTE - 1000;
    assert.equal(limiter.retryAfter(keys), 1);
    now += 1000; // the first failure has left the window
    assert.equal(limiter.retryAfter(keys), null);
  });

  test("reset forgets one key; the count is bounded in memory", () => {
    let now = 0;
    const limiter = new LoginRateLimiter({ now: () => now, maxKeys: 10, maxFailures: 2 });
    limiter.recordFailure(["user:x", "addr:y"]);
    limiter.recordFailure(["user:x", "addr:y"]);
    assert.ok(limiter.retryAfter(["user:x"]));
    limiter.reset("user:x");
    assert.equal(limiter.retryAfter(["user:x"]), null);
    assert.ok(limiter.retryAfter(["addr:y"]));
    for (let i = 0; i < 50; i++) {
      now += 1;
      limiter.recordFailure([`user:${i}`]);
    }
    const size = (limiter as unknown as { failures: Map<string, unknown> }).failures.size;
    assert.ok(size <= 10, `kept ${size} keys`);
  });

  test("username keys are digests, so a huge username costs no memory", () => {
    const key = LoginRateLimiter.usernameKey("x".repeat(1_000_000));
    assert.ok(key.length < 60);
    assert.notEqual(key, LoginRateLimiter.usernameKey("X".repeat(1_000_000)));
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
      url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      await migrateForwards(sessionAuthApp, { database: url });
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
      assert.deepEqual(Object.keys(row).sort(), ["expiry_date", "id", "max_expiry_date", "token", "user_id"]);
      assert.equal(row.token, "");
      assert.equal(Number(row.user_id), 0);
      await db.kysely.deleteFrom("sessions").execute();
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

    test("Secure cookies over HTTPS; a form login redirects only within the site", async () => {
      const { app } = makeApp();
      const browser = browserFor(app, "10.0.0.2", "https://example.com");
      await browser.get("/auth/login");
      assert.match(browser.cookies.get("csrftoken")!.attributes, /Secure/i);
      const login = await browser.postForm("/auth/login", { username: "boss", password: "boss-pass1", next: "//evil.example/x" });
      assert.equal(login.status, 303);
      assert.equal(login.headers.get("location"), "/");
      assert.match(browser.cookies.get("id")!.attributes, /Secure/i);
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

    test("5 failed logins in 15 minutes per username → 429 with Retry-After, whether or not the user exists", async () => {
      let ms = 0;
      const limiter = new LoginRateLimiter({ now: () => ms });
      const { app } = makeApp({ rateLimiter: limiter });
      for (const username of ["alice", "no-such-user"]) {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          // A new address each time: only the username counts here.
          const browser = browserFor(app, `10.1.${i}.${username.length}`);
          await browser.get("/auth/login");
          statuses.push((await browser.postJson("/auth/login", { username, password: "wrong-password" })).status);
        }
        assert.deepEqual(statuses, [401, 401, 401, 401, 401]);
        const browser = browserFor(app, "10.2.0.1");
        await browser.get("/auth/login");
        // Even the right password waits.
        const blocked = await browser.postJson("/auth/login", { username, password: `${username}-pass1` });
        assert.equal(blocked.status, 429);
        assert.equal(blocked.headers.get("retry-after"), String(15 * 60));
        const body = (await blocked.json()) as { error: string };
        assert.match(body.error, /Too many failed logins/);
        const form = await browser.postForm("/auth/login", { username, password: "x" });
        assert.equal(form.status, 429);
        assert.ok(form.headers.get("retry-after"));
      }
      ms += 15 * MINUTE;
      const later = browserFor(app, "10.3.0.1");
      await later.get("/auth/login");
      assert.equal((await later.postJson("/auth/login", { username: "alice", password: "alice-pass1" })).status, 200);
    });

    test("5 failed logins in 15 minutes per client address → 429, for any username", async () => {
      const { app } = makeApp({ rateLimiter: new LoginRateLimiter({ now: () => 0 }) });
      const browser = browserFor(app, "192.0.2.7");
      await browser.get("/auth/login");
      for (let i = 0; i < 5; i++) {
        assert.equal((await browser.postJson("/auth/login", { username: `guess${i}`, password: "wrong-password" })).status, 401);
      }
      const blocked = await browser.postJson("/auth/login", { username: "alice", password: "alice-pass1" });
      assert.equal(blocked.status, 429);
      assert.ok(Number(blocked.headers.get("retry-after")) > 0);
      const elsewhere = browserFor(app, "192.0.2.8");
      await elsewhere.get("/auth/login");
      assert.equal((await elsewhere.postJson("/auth/login", { username: "alice", password: "alice-pass1" })).status, 200);
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
