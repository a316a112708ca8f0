// Passkeys at the HTTP level, with a software authenticator (test/support/webauthn.ts), per engine:
// behind the session-proxy test's reverse proxy (`--trust-proxy 1 --allowed-host`), the ceremony uses
// the public origin and relying party id, not the backend's; routes()'s JSON second-factor step, which a
// TOTP code cannot skip; a wrong passkey counts against the login limit; a user's passkeys go with the
// user, follow a rename made through piccolo-ts, and stop when the row changes outside it; the CLI
// lists and removes them.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import type http from "node:http";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { BaseUser, migrateBackwards, migrateForwards, PasskeyCredentials, closeDatabases } from "piccolo-ts";
import { LoginRateLimiter, createSessionAuth } from "piccolo-ts/session";
import { MAX_PENDING_LOGIN_CHALLENGES, adminHistoryApp, passkeysApp, sessionAuthApp } from "./support/internals.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { FakeBrowser } from "./support/browser.js";
import { piccolo } from "./support/cli.js";
import { send } from "./support/http.js";
import { startCliAdmin, startProxy, stop } from "./support/proxy.js";
import { SoftAuthenticator } from "./support/webauthn.js";

after(async () => {
  await closeDatabases();
});

type Options = { challenge: string; rpId: string; allowCredentials?: { id: string }[] };

for (const engine of testEngines) {
  describe(`passkeys over HTTP on ${engine}`, () => {
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    let url: string;
    const ids: Record<string, number> = {};
    const credentials = new PasskeyCredentials(TestUser);
    const enroll = async (username: string, name: string) => {
      const key = new SoftAuthenticator();
      await credentials.add(ids[username]!, { credentialId: key.credentialId, publicKey: key.coseKey(), signCount: 0, transports: ["internal"], backedUp: false, name });
      return key;
    };

    before(async () => {
      url = await migratedDatabaseUrl(engine, sessionAuthApp, adminHistoryApp, passkeysApp);
      TestUser.database = url;
      for (const username of ["alice", "bob", "carol"]) {
        ids[username] = (await TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, active: true, admin: true, superuser: username === "alice" })).id;
      }
    });

    test("behind a trusted proxy the relying party id and origin are the public ones, not the backend's", async () => {
      const key = await enroll("alice", "proxy-key");
      const admin: { child: ChildProcess; port: number } = await startCliAdmin(url, ["--trust-proxy", "1", "--allowed-host", "admin.example.test", "--passkeys"]);
      const proxy: http.Server = await startProxy(admin.port);
      try {
        const port = (proxy.address() as AddressInfo).port;
        const page = await send(port, "/login", { headers: { host: "admin.example.test" } });
        const cookie = (page.headers["set-cookie"] ?? []).find((line) => line.startsWith("__Host-csrftoken="))!.split(";")[0]!;
        const post = (path: string, body: unknown) =>
          send(port, path, { method: "POST", headers: { host: "admin.example.test", cookie, "content-type": "application/json", "x-csrftoken": cookie.split("=")[1]!, origin: "https://admin.example.test" }, body: JSON.stringify(body) });
        const options = async () => JSON.parse((await post("/passkeys/login/options", {})).body) as Options;

        const first = await options();
        assert.equal(first.rpId, "admin.example.test", "the public host, as the proxy forwarded it");
        // Signed as a browser at the backend's own address would: refused.
        const backend = await post("/passkeys/login", { response: key.assertion(first.challenge, "admin.example.test", `http://127.0.0.1:${admin.port}`) });
        assert.equal(backend.status, 401);
        const second = await options();
        const wrongRp = await post("/passkeys/login", { response: key.assertion(second.challenge, "127.0.0.1", "https://admin.example.test") });
        assert.equal(wrongRp.status, 401, "an assertion for the backend's relying party id");
        const third = await options();
        const good = await post("/passkeys/login", { response: key.assertion(third.challenge, "admin.example.test", "https://admin.example.test"), next: "/users" });
        assert.equal(good.status, 200, good.body);
        assert.equal((JSON.parse(good.body) as { user: { username: string } }).user.username, "alice");
        assert.ok((good.headers["set-cookie"] ?? []).some((line) => /^__Host-id=[^;]+;.*Secure/i.test(line)), "a Secure session cookie");
      } finally {
        proxy.closeAllConnections();
        await new Promise((resolve) => proxy.close(resolve));
        await stop(admin.child);
        await credentials.remove(ids.alice!, { name: "proxy-key" });
      }
    });

    test("routes(): the JSON second-factor step after a password, which a TOTP code cannot skip; a wrong passkey counts against the login limit", async () => {
      const key = await enroll("bob", "laptop");
      const auth = createSessionAuth({ userClass: TestUser, passkeys: {}, rateLimit: new LoginRateLimiter({ database: url, pair: { max: 3, window: 60_000 } }) });
      const app = new Hono();
      app.route("/auth", auth.routes());
      const browser = new FakeBrowser((target, init) => app.request(target, init));
      await browser.get("/auth/login");

      const withCode = await browser.postJson("/auth/login", { username: "bob", password: "bob-pass1", mfa_code: "123456" });
      assert.equal(withCode.status, 401, "a code cannot stand in for the passkey of a user without TOTP");
      const step = (await withCode.json()) as { detail: string; passkey: { options: Options; codeAlso: boolean } };
      assert.equal(step.detail, "Passkey required");
      assert.equal(step.passkey.codeAlso, false);
      assert.equal(browser.cookie("id"), undefined, "no session yet");
      assert.deepEqual(step.passkey.options.allowCredentials?.map((each) => each.id), [key.credentialId]);

      // Carol's passkey cannot take bob's step.
      const carols = await enroll("carol", "phone");
      const refused = await browser.postJson("/auth/passkeys/second", { response: carols.assertion(step.passkey.options.challenge, "localhost", "http://localhost") });
      assert.equal(refused.status, 401);

      const again = (await (await browser.postJson("/auth/login", { username: "bob", password: "bob-pass1" })).json()) as typeof step;
      const done = await browser.postJson("/auth/passkeys/second", { response: key.assertion(again.passkey.options.challenge, "localhost", "http://localhost") });
      assert.equal(done.status, 200, await done.clone().text());
      assert.ok(browser.cookie("id"), "the session starts after the passkey");

      // Bad assertions are login attempts: past the limit the answer is 429 before any signature check.
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 4; attempt++) {
        const options = (await (await browser.postJson("/auth/passkeys/login/options", {})).json()) as Options;
        const forged = key.assertion(options.challenge, "localhost", "http://localhost");
        (forged.response as { signature: string }).signature = Buffer.from("not a signature").toString("base64url");
        statuses.push((await browser.postJson("/auth/passkeys/login", { response: forged })).status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 429], "bob's successes gave their attempts back: three failures, then the limit");
    });

    test("passwordless challenges are bounded: anyone may ask for one, so past the cap the answer is 503 and nothing is stored", async () => {
      const auth = createSessionAuth({ userClass: TestUser, passkeys: {}, rateLimit: false });
      const app = new Hono();
      app.route("/auth", auth.routes());
      const browser = new FakeBrowser((target, init) => app.request(target, init));
      await browser.get("/auth/login");
      const ask = () => browser.postJson("/auth/passkeys/login/options", {});
      const { kysely } = await TestUser.getDatabase();
      const table = "passkey_challenge";
      const pending = async () =>
        Number((await kysely.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).where("purpose", "=", "login").executeTakeFirstOrThrow()).n);
      // A flood's worth of unexpired login challenges, written directly (as many requests would).
      const expiresAt = Date.now() + 60_000;
      for (let start = 0; start < MAX_PENDING_LOGIN_CHALLENGES; start += 500) {
        const rows = Array.from({ length: 500 }, (_, i) => ({ challenge_key: `flood-${String(start + i).padStart(58, "0")}`, purpose: "login", user_id: null, expires_at: expiresAt }));
        await kysely.insertInto(table).values(rows).execute();
      }
      const flooded = await pending();
      assert.ok(flooded >= MAX_PENDING_LOGIN_CHALLENGES);
      const full = await ask();
      assert.equal(full.status, 503);
      assert.equal(full.headers.get("retry-after"), "60");
      assert.equal(await pending(), flooded, "nothing stored past the cap");
      // Once they lapse, challenges are issued again.
      await kysely.updateTable(table).set({ expires_at: Date.now() - 1 }).execute();
      assert.equal((await ask()).status, 200);
      assert.equal(await pending(), 1);
      await kysely.deleteFrom(table).execute();
    });

    test("removing a passkey over JSON needs the password or another of the user's passkeys, never the same one", async () => {
      const auth = createSessionAuth({ userClass: TestUser, passkeys: { secondFactor: false }, rateLimit: false });
      const app = new Hono();
      app.route("/auth", auth.routes());
      const browser = new FakeBrowser((target, init) => app.request(target, init));
      await browser.get("/auth/login");
      assert.equal((await browser.postJson("/auth/login", { username: "alice", password: "alice-pass1" })).status, 200);
      const first = await enroll("alice", "first");
      const second = await enroll("alice", "second");
      const [firstRow] = (await credentials.list(ids.alice!)).filter((each) => each.name === "first");
      const confirm = async (key: SoftAuthenticator) => {
        const options = (await (await browser.postJson("/auth/passkeys/confirm/options", {})).json()) as Options;
        return key.assertion(options.challenge, "localhost", "http://localhost");
      };
      assert.equal((await browser.postJson(`/auth/passkeys/${firstRow!.id}/remove`, { response: await confirm(first) })).status, 400, "not with itself");
      assert.equal((await browser.postJson(`/auth/passkeys/${firstRow!.id}/remove`, { password: "wrong" })).status, 400);
      assert.equal((await browser.postJson(`/auth/passkeys/${firstRow!.id}/remove`, { response: await confirm(second) })).status, 200);
      assert.deepEqual((await credentials.list(ids.alice!)).map((each) => each.name), ["second"]);
      await credentials.remove(ids.alice!, { name: "second" });
    });

    test("passkeys go with their user, follow a rename through piccolo-ts, and are not honoured once the row changes elsewhere", async () => {
      const key = await enroll("carol", "tablet");
      await TestUser.updateProfile("carol", { username: "caroline" });
      assert.deepEqual((await credentials.list(ids.carol!)).map((each) => each.name).sort(), ["phone", "tablet"]);
      assert.ok(await credentials.find(key.credentialId));
      // Renamed outside piccolo-ts (Python, SQL): the row is not the one that registered the passkey.
      const database = await TestUser.getDatabase();
      await database.kysely.updateTable(TestUser.tableName).set({ username: "someone-else" }).where("id", "=", ids.carol!).execute();
      assert.equal(await credentials.find(key.credentialId), null);
      assert.deepEqual(await credentials.list(ids.carol!), []);
      await TestUser.deleteUser(ids.carol!);
      const left = await database.kysely.selectFrom("passkey_credential").select("id").where("user_id", "=", ids.carol!).execute();
      assert.deepEqual(left, [], "deleting the user deleted its passkeys");
    });

    test("the passkeys app goes backwards (its tables dropped) and forwards again", async () => {
      const database = await TestUser.getDatabase();
      const tables = async () => (await database.kysely.introspection.getTables()).map((table) => table.name).filter((name) => name.startsWith("passkey_")).sort();
      assert.deepEqual(await tables(), ["passkey_challenge", "passkey_credential"]);
      await migrateBackwards("passkeys", { database: url, migrationId: "all" });
      assert.deepEqual(await tables(), []);
      await migrateForwards("passkeys", { database: url });
      assert.deepEqual(await tables(), ["passkey_challenge", "passkey_credential"]);
    });

    test("piccolo user passkeys lists names and dates, never key material, and --remove removes one", async () => {
      const key = await enroll("alice", "work laptop");
      const listed = await piccolo(["user", "passkeys", "alice", "--db", url]);
      assert.equal(listed.code, 0, listed.all);
      assert.match(listed.stdout, /^work laptop: added .+, last used never/m);
      assert.ok(!listed.all.includes(key.coseKey()) && !listed.all.includes(key.credentialId), "no key material");
      const missing = await piccolo(["user", "passkeys", "alice", "--remove", "nothing", "--db", url]);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
      const removed = await piccolo(["user", "passkeys", "alice", "--remove", "work laptop", "--db", url]);
      assert.equal(removed.code, 0, removed.all);
      assert.deepEqual(await credentials.list(ids.alice!), []);
    });
  });
}
