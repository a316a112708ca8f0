// @variants: galera (the runner also runs these on the Galera cluster, through a multi-host URL)
// The login routes and the guard: the session cookie, who may log in, logout, replacing a session, and the
// login rate limit through the routes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

const MINUTE = 60_000;
import { BaseUser, closeDatabases } from "piccolo-ts";
import { LOGIN_FAILED_MESSAGE, LoginRateLimiter } from "piccolo-ts/session";
import { sessionAuthApp } from "./support/internals.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { testEngines } from "./support/engines.js";
import { createSessionUsers, makeSessionSite, sessionBrowser } from "./support/session-site.js";

after(async () => {
  await closeDatabases();
});

for (const engine of testEngines) {
  describe(`login routes and guards on ${engine}`, () => {
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    const now = () => new Date(Date.UTC(2031, 0, 1, 12, 0, 0));
    let ids: Record<string, number> = {};

    before(async () => {
      TestUser.database = await migratedDatabaseUrl(engine, sessionAuthApp);
      ids = await createSessionUsers(TestUser);
    });

    const makeApp = (options: Parameters<typeof makeSessionSite>[2] = {}) => makeSessionSite(TestUser, now, options);
    const browserFor = sessionBrowser;

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

    test("inactive, non-admin, unknown and wrong-password logins all get the same answer", async () => {
      const { app } = makeApp({ rateLimit: false });
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
      const { app } = makeApp({ access: { adminOnly: false } });
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

    test("5 failed logins for one username from one address → 429 with Retry-After, whether or not the user exists", async () => {
      let ms = 0;
      const limiter = new LoginRateLimiter({ now: () => ms });
      const { app } = makeApp({ rateLimit: limiter });
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
  });
}
