// Issue 19: the session layer's login page cannot be framed (attack 5), and over HTTPS the session cookie
// carries a prefix (`__Host-`, or `__Secure-` under a narrower path) so that neither a sibling subdomain
// nor a plain-HTTP page can plant one; `cookiePrefix: false` keeps piccolo_api's `id`. On every engine.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Hono } from "hono";
import { BaseUser, closeDatabases } from "piccolo-ts";
import { createAdminApp } from "piccolo-ts/admin";
import { adminHistoryApp } from "./support/internals.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { FakeBrowser } from "./support/browser.js";
import { createSessionAuth, getSessionUser } from "piccolo-ts/session";
import { sessionAuthApp } from "./support/internals.js";


after(async () => {
  await closeDatabases();
});

function assertNotFramable(response: Response, what: string): void {
  assert.equal(response.headers.get("x-frame-options"), "DENY", what);
  assert.match(response.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/, what);
}

for (const engine of testEngines) {
  describe(`login page headers and session cookie names on ${engine}`, () => {
    class HeaderUser extends BaseUser {
      static override iterations = 1000;
    }

    before(async () => {
      HeaderUser.database = await migratedDatabaseUrl(engine, sessionAuthApp, adminHistoryApp);
      await HeaderUser.createUser({ username: "hana", password: "hana-pass1", email: "hana@example.com", admin: true, superuser: true, active: true });
      await HeaderUser.createUser({ username: "mallory", password: "mallory-pass1", email: "mallory@example.com", admin: true, active: true });
    });

    function site(options: Parameters<typeof createSessionAuth>[0] = {}) {
      const auth = createSessionAuth({ userClass: HeaderUser, rateLimit: false, deployment: { allowedHosts: ["example.com"] }, ...options });
      const app = new Hono();
      app.route("/auth", auth.routes());
      app.get("/private", auth.guard(), (c) => c.text(`hello ${getSessionUser(c)!.username}`));
      return app;
    }
    const browserFor = (app: Hono, origin: string) => new FakeBrowser((target, init) => app.request(target, init), origin);

    test("the login page, and the form shown again after a refusal, cannot be framed; its style is allowed by hash", async () => {
      const browser = browserFor(site(), "http://example.com");
      const page = await browser.get("/auth/login");
      assertNotFramable(page, "GET /auth/login");
      const html = await page.text();
      const style = /<style>([^<]*)<\/style>/.exec(html)![1]!;
      const hash = createHash("sha256").update(style).digest("base64");
      assert.match(page.headers.get("content-security-policy")!, new RegExp(`style-src 'sha256-${hash.replace(/[+/]/g, "\\$&")}'`));
      assert.match(page.headers.get("content-security-policy")!, /default-src 'none'/);
      const refused = await browser.postForm("/auth/login", { username: "hana", password: "wrong" });
      assert.equal(refused.status, 401);
      assertNotFramable(refused, "the form after a wrong password");
    });

    test("over HTTPS the session cookie is __Host-id (Secure, Path=/, no Domain) and a planted plain id is ignored", async () => {
      const app = site();
      const victim = browserFor(app, "https://example.com");
      await victim.get("/auth/login");
      assert.equal((await victim.postForm("/auth/login", { username: "hana", password: "hana-pass1" })).status, 303);
      const cookie = victim.cookies.get("__Host-id")!;
      assert.ok(cookie, "a __Host-id cookie");
      assert.equal(victim.cookie("id"), undefined);
      assert.match(cookie.attributes, /Secure/i);
      assert.match(cookie.attributes, /HttpOnly/i);
      assert.match(cookie.attributes, /Path=\/(;|$)/i);
      assert.doesNotMatch(cookie.attributes, /Domain=/i);
      assert.equal(await (await victim.get("/private")).text(), "hello hana");
      // The attacker's own session, planted as `id` (what a sibling subdomain or an HTTP page can set), counts for nothing.
      const attacker = browserFor(app, "https://example.com");
      await attacker.get("/auth/login");
      await attacker.postForm("/auth/login", { username: "mallory", password: "mallory-pass1" });
      const planted = await victim.request("/private", { headers: { accept: "application/json", cookie: `id=${attacker.cookie("__Host-id")}` } });
      assert.equal(planted.status, 401);
      // Logout clears the prefixed cookie.
      await victim.postForm("/auth/logout", {});
      assert.equal(victim.cookie("__Host-id"), undefined);
      assert.equal((await victim.get("/private", { accept: "application/json" })).status, 401);
    });

    test("plain HTTP keeps id; cookiePrefix: false keeps id over HTTPS (sharing piccolo_api's cookie)", async () => {
      const plain = browserFor(site(), "http://example.com");
      await plain.get("/auth/login");
      await plain.postForm("/auth/login", { username: "hana", password: "hana-pass1" });
      assert.ok(plain.cookie("id"));
      const shared = browserFor(site({ cookies: { prefix: false } }), "https://example.com");
      await shared.get("/auth/login");
      await shared.postForm("/auth/login", { username: "hana", password: "hana-pass1" });
      assert.match(shared.cookies.get("id")!.attributes, /Secure/i);
      assert.equal(shared.cookie("__Host-id"), undefined);
      assert.equal(await (await shared.get("/private")).text(), "hello hana");
    });

    test("the admin over HTTPS: __Host-id at the root, __Secure-id with its Path when mounted under /admin", async () => {
      const root = browserFor(createAdminApp({ userClass: HeaderUser, rateLimit: false, deployment: { allowedHosts: ["example.com"] } }), "https://example.com");
      await root.get("/login");
      assert.equal((await root.postForm("/login", { username: "hana", password: "hana-pass1" })).status, 303);
      assert.match(root.cookies.get("__Host-id")!.attributes, /Path=\/(;|$)/i);
      assert.equal((await root.get("/users")).status, 200);
      const mounted = new Hono();
      mounted.route("/admin", createAdminApp({ userClass: HeaderUser, rateLimit: false, deployment: { allowedHosts: ["example.com"] } }));
      const under = browserFor(mounted, "https://example.com");
      await under.get("/admin/login");
      assert.equal((await under.postForm("/admin/login", { username: "hana", password: "hana-pass1" })).status, 303);
      const cookie = under.cookies.get("__Secure-id")!;
      assert.match(cookie.attributes, /Secure/i);
      assert.match(cookie.attributes, /Path=\/admin(;|$)/i);
      assert.equal((await under.get("/admin/users")).status, 200);
    });
  });
}
