// The login's two-factor step in the session layer: JSON exactly as Piccolo Admin's UI logs in (401
// {"detail":"MFA code required"}, then the same body with mfa_code), the form flow with a pending cookie
// that holds no password, wrong codes counted by the login rate limit, and requireMfa.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { BaseUser, ConfigError, MfaAuthenticator, closeDatabases } from "piccolo-ts";
import { LoginRateLimiter, createSessionAuth, getSessionUser } from "piccolo-ts/session";
import { generateMfaKey, totpCode } from "./support/internals.js";
import { FakeBrowser } from "./support/browser.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";

after(() => closeDatabases());

const KEY = generateMfaKey();

describe("requireMfa's options", () => {
  it("are checked at start-up", () => {
    assert.throws(() => createSessionAuth({ requireMfa: "superusers" }), (e: unknown) => e instanceof ConfigError && /needs the mfa option/.test(e.message));
    const mfa = new MfaAuthenticator({ encryption: { key: KEY } });
    assert.throws(() => createSessionAuth({ mfa, requireMfa: "everyone" as never }), ConfigError);
  });
});

for (const engine of testEngines) {
  describe(`the two-factor login step on ${engine}`, () => {
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    let mfa: MfaAuthenticator;
    const secrets: Record<string, string> = {};

    function appWith(options: Parameters<typeof createSessionAuth>[0] = {}) {
      const auth = createSessionAuth({ userClass: TestUser, mfa, rateLimit: new LoginRateLimiter({ store: "memory" }), ...options });
      const app = new Hono();
      app.route("/auth", auth.routes());
      app.get("/private", auth.guard(), (c) => c.json({ username: getSessionUser(c)?.username }));
      return new FakeBrowser((url, init) => app.request(url, init));
    }

    async function loggedInAs(browser: FakeBrowser): Promise<string | undefined> {
      const response = await browser.request("/private", { headers: { accept: "application/json" } });
      return response.status === 200 ? ((await response.json()) as { username: string }).username : undefined;
    }

    it("prepares users: alice enrolled, boss a superuser who is not", async () => {
      const url = await migratedDatabaseUrl(engine, "session_auth", "mfa_authenticator");
      TestUser.database = url;
      mfa = new MfaAuthenticator({ encryption: { key: KEY }, users: TestUser });
      for (const [username, superuser] of [["alice", false], ["boss", true], ["plain", false]] as const) {
        await TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, active: true, admin: true, superuser });
      }
      secrets.alice = (await mfa.enroll("alice")).secret;
    });

    it("logs in over JSON exactly as Piccolo Admin's UI does: 401 MFA code required, then mfa_code", async () => {
      const browser = appWith();
      await browser.get("/auth/login");
      const first = await browser.postJson("/auth/login", { username: "alice", password: "alice-pass1" });
      assert.equal(first.status, 401);
      assert.equal(((await first.json()) as { detail: string }).detail, "MFA code required");
      assert.equal(await loggedInAs(browser), undefined, "no session before the code");

      const wrong = await browser.postJson("/auth/login", { username: "alice", password: "alice-pass1", mfa_code: "000000" === totpCode(secrets.alice!) ? "111111" : "000000" });
      assert.equal(wrong.status, 401);
      assert.equal(((await wrong.json()) as { detail: string }).detail, "MFA failed");
      const number = await browser.postJson("/auth/login", { username: "alice", password: "alice-pass1", mfa_code: 123456 });
      assert.equal(number.status, 401, "a JSON number is refused, not a 500");

      const code = totpCode(secrets.alice!);
      const ok = await browser.postJson("/auth/login", { username: "alice", password: "alice-pass1", mfa_code: code });
      assert.equal(ok.status, 200);
      assert.equal(await loggedInAs(browser), "alice");

      const other = appWith();
      await other.get("/auth/login");
      const replay = await other.postJson("/auth/login", { username: "alice", password: "alice-pass1", mfa_code: code });
      assert.equal(replay.status, 401);
      assert.equal(((await replay.json()) as { detail: string }).detail, "MFA failed", "a replayed code");
    });

    it("the form asks for the code on its own page: the pending cookie holds no password and a forged one is refused", async () => {
      const browser = appWith();
      await browser.get("/auth/login");
      const first = await browser.postForm("/auth/login", { username: "alice", password: "alice-pass1" });
      assert.equal(first.status, 200);
      const page = await first.text();
      assert.match(page, /name="mfa_code"/);
      assert.doesNotMatch(page, /alice-pass1|name="password"/);
      const pending = browser.cookie("id_mfa")!;
      assert.ok(pending && !Buffer.from(pending, "base64url").toString("latin1").includes("alice-pass1"));
      assert.equal(browser.cookie("id"), undefined);

      const forged = appWith();
      await forged.get("/auth/login");
      forged.jar.setCookieSync(`id_mfa=${pending.slice(0, -4)}AAAA; Path=/`, "http://localhost/");
      const refused = await forged.postForm("/auth/login", { mfa_code: totpCode(secrets.alice!, Date.now() + 30_000) });
      assert.equal(refused.status, 401);
      assert.equal(await loggedInAs(forged), undefined);

      const second = await browser.postForm("/auth/login", { mfa_code: totpCode(secrets.alice!, Date.now() + 30_000).replace(/^(...)/, "$1 ") });
      assert.equal(second.status, 303);
      assert.equal(await loggedInAs(browser), "alice");
      assert.equal(browser.cookie("id_mfa"), undefined, "the pending cookie is cleared");
    });

    it("without the mfa option an enrolled user is refused (fail closed); others log in as before", async () => {
      const auth = createSessionAuth({ userClass: TestUser, rateLimit: false });
      const app = new Hono();
      app.route("/auth", auth.routes());
      const browser = new FakeBrowser((url, init) => app.request(url, init));
      await browser.get("/auth/login");
      const refused = await browser.postJson("/auth/login", { username: "alice", password: "alice-pass1" });
      assert.equal(refused.status, 401);
      assert.match(((await refused.json()) as { detail: string }).detail, /two-factor authentication, which this server is not set up for/);
      assert.equal(browser.cookie("id"), undefined);
      assert.equal((await browser.postJson("/auth/login", { username: "plain", password: "plain-pass1" })).status, 200);
    });

    it("wrong codes count against the account's login limit", async () => {
      const browser = appWith({ rateLimit: new LoginRateLimiter({ store: "memory", pair: { max: 3, window: 60_000 } }) });
      await browser.get("/auth/login");
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const response = await browser.postJson("/auth/login", { username: "alice", password: "alice-pass1", mfa_code: "99999" + i });
        statuses.push(response.status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 429]);
    });

    it("requireMfa: 'superusers' takes a superuser to enrollment before any session; others log in as before", async () => {
      const browser = appWith({ requireMfa: "superusers" });
      await browser.get("/auth/login");
      const first = await browser.postJson("/auth/login", { username: "boss", password: "boss-pass1" });
      assert.equal(first.status, 401);
      const body = (await first.json()) as { detail: string; enrollment: { secret: string; uri: string; qrSvg: string } };
      assert.equal(body.detail, "MFA enrollment required");
      assert.match(body.enrollment.qrSvg, /^<svg/);
      assert.equal(await loggedInAs(browser), undefined);
      assert.equal((await mfa.status("boss")).enrolled, false, "nothing stored before a right code");

      const wrong = await browser.postJson("/auth/login", { mfa_code: "000000" === totpCode(body.enrollment.secret) ? "111111" : "000000" });
      assert.equal(wrong.status, 401);
      assert.equal((await mfa.status("boss")).enrolled, false);
      const done = await browser.postJson("/auth/login", { mfa_code: totpCode(body.enrollment.secret) });
      assert.equal(done.status, 200);
      assert.equal(((await done.json()) as { recoveryCodes: string[] }).recoveryCodes.length, 8);
      assert.equal(await loggedInAs(browser), "boss");
      assert.equal((await mfa.status("boss")).enrolled, true);

      const plain = appWith({ requireMfa: "superusers" });
      await plain.get("/auth/login");
      assert.equal((await plain.postJson("/auth/login", { username: "plain", password: "plain-pass1" })).status, 200);
    });
  });
}
