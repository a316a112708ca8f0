// Issue 19, attack 4: `next=` after a login never sends the browser off-site, in the session layer's login
// and the admin's. A fuzz corpus of targets built from dot segments, encoded dots and slashes, backslashes,
// tabs and newlines and Unicode slashes; each answer's Location is resolved as a browser does (WHATWG
// URL: `\` is `/`, tabs and newlines are dropped) and must stay on the site.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Hono } from "hono";
import { BaseUser, closeDatabases } from "piccolo-ts";
import { createAdminApp } from "piccolo-ts/admin";
import { adminHistoryApp } from "./support/internals.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { FakeBrowser } from "./support/browser.js";
import { createSessionAuth } from "piccolo-ts/session";
import { sessionAuthApp, safeRedirect } from "./support/internals.js";


const RUNS = Number(process.env.PICCOLO_FUZZ_RUNS ?? 100);
const ORIGIN = "http://localhost";

after(async () => {
  await closeDatabases();
});

/** The attacks that worked (issue 19), and their kin: each must fall back or stay on the site. */
const KNOWN_ATTACKS = [
  "/.//evil.example/x",
  "/%2e//evil.example/x",
  "/%2E//evil.example/x",
  "/a/..//evil.example/x",
  "/a/%2e%2e//evil.example/x",
  "/./\\evil.example/x",
  "/.\\/evil.example",
  "/\t/evil.example",
  "/\n/evil.example",
  "/.%2f/evil.example",
  "/admin/..//evil.example/x",
  "/admin/./..//evil.example",
  "/admin/%2e%2e/%2e%2e//evil.example",
];

const PIECES = [
  "/", "//", ".", "..", "./", "../", "%2e", "%2E", "%2e%2e", "%2f", "%2F", "%5c", "%5C", "\\", "\t", "\n", "\r", "%09", "%0a",
  "\u2215", "\uff0f", "\u2044", "\u29f8", "\u3033", "\ufe68", "\uff3c", "evil.example", "x", "@", ":", "?", "#", " ", "%00", "http:", "https:",
];
const target = fc
  .tuple(
    fc.constantFrom("/", "/admin/", "/auth/", "", "//", "/\\", "\\"),
    fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }),
  )
  .map(([start, rest]) => start + rest.join(""));

/** Where a browser goes for this Location, answered at `page`: must be this origin. */
function assertOnSite(location: string | null, page: string, next: string): void {
  assert.ok(location !== null, `no Location for next=${JSON.stringify(next)}`);
  const landing = new URL(location, new URL(page, ORIGIN));
  assert.equal(landing.origin, ORIGIN, `next=${JSON.stringify(next)} → Location ${JSON.stringify(location)}`);
  assert.ok(location.startsWith("/") && !location.startsWith("//") && !location.startsWith("/\\"), `Location ${JSON.stringify(location)}`);
}

test("safeRedirect: the known attacks fall back, and what it returns is a path on the site", () => {
  // The three of the report normalise to `//evil.example/x`: the default instead.
  for (const next of KNOWN_ATTACKS.slice(0, 4)) assert.equal(safeRedirect(next, "/home"), "/home", JSON.stringify(next));
  for (const next of KNOWN_ATTACKS) assertOnSite(safeRedirect(next, "/home"), "/auth/login", next);
  fc.assert(
    fc.property(fc.oneof(target, fc.string()), (next) => assertOnSite(safeRedirect(next, "/home"), "/auth/login", next)),
    { numRuns: 5000 },
  );
});

for (const engine of testEngines) {
  describe(`no login redirects off-site on ${engine}`, () => {
    class RedirectUser extends BaseUser {
      static override iterations = 1000;
    }
    let app: Hono;
    let rootAdmin: Hono;

    before(async () => {
      RedirectUser.database = await migratedDatabaseUrl(engine, sessionAuthApp, adminHistoryApp);
      await RedirectUser.createUser({ username: "rita", password: "rita-pass1", admin: true, active: true });
      app = new Hono();
      app.route("/auth", createSessionAuth({ userClass: RedirectUser, rateLimit: false }).routes());
      app.route("/admin", createAdminApp({ userClass: RedirectUser, rateLimit: false }));
      // As `piccolo admin` serves it: at the root, where every path on the site is one of its own.
      rootAdmin = createAdminApp({ userClass: RedirectUser, rateLimit: false });
    });

    const logins = [
      ["the session layer's login", () => app, "/auth/login"],
      ["the admin's login under /admin", () => app, "/admin/login"],
      ["the admin's login at the root", () => rootAdmin, "/login"],
    ] as const;
    for (const [name, served, loginPath] of logins) {
      test(`${name}: known attacks and ${RUNS} fuzzed next= values`, async () => {
        const browser = new FakeBrowser((url, init) => served().request(url, init));
        await browser.get(loginPath);
        const attempt = async (next: string) => {
          const response = await browser.postForm(loginPath, { username: "rita", password: "rita-pass1", next });
          assert.equal(response.status, 303, `next=${JSON.stringify(next)}: ${response.status}`);
          assertOnSite(response.headers.get("location"), loginPath, next);
        };
        for (const next of KNOWN_ATTACKS) await attempt(next);
        await fc.assert(fc.asyncProperty(target, attempt), { numRuns: RUNS });
      });
    }
  });
}
