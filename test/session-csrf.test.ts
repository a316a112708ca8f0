// @variants: galera (the runner also runs these on the Galera cluster, through a multi-host URL)
// CSRF: the double-submit token, the origin check, and the CSRF cookie's name and attributes over HTTPS.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { BaseUser, closeDatabases } from "piccolo-ts";
import { sessionAuthApp } from "./support/internals.js";
import { FakeBrowser } from "./support/browser.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { testEngines } from "./support/engines.js";
import { createSessionUsers, makeSessionSite, sessionBrowser } from "./support/session-site.js";

after(async () => {
  await closeDatabases();
});

for (const engine of testEngines) {
  describe(`CSRF protection on ${engine}`, () => {
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    const now = () => new Date(Date.UTC(2031, 0, 1, 12, 0, 0));

    before(async () => {
      TestUser.database = await migratedDatabaseUrl(engine, sessionAuthApp);
      await createSessionUsers(TestUser);
    });

    const makeApp = (options: Parameters<typeof makeSessionSite>[2] = {}) => makeSessionSite(TestUser, now, options);
    const browserFor = sessionBrowser;

    test("Secure cookies over HTTPS, the CSRF cookie as __Host-; a form login redirects only within the site", async () => {
      const { app } = makeApp({ deployment: { allowedHosts: ["example.com"] } });
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
  });
}
