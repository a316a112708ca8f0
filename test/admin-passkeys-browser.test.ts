// Passkeys end to end in Chromium with the DevTools protocol's virtual authenticator (CTAP2, internal,
// resident keys, user verification), against `piccolo admin`'s server, per engine: register on your own
// page, log out, sign in with it and no password; the passkey as the second factor after a password; a
// credential of another user (another browser context) cannot sign in as the first; a replayed
// assertion, a wrong origin and a backwards counter are refused; removal ends its use.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { BrowserContext, Page } from "playwright-core";
import { BaseUser, PasskeyCredentials, closeDatabases } from "piccolo-ts";
import { adminHistoryApp, passkeysApp, sessionAuthApp } from "./support/internals.js";
import type * as CommandModule from "../dist/cli/commands/admin.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { FakeBrowser, chromiumForFile, chromiumSkip } from "./support/browser.js";

const { startAdmin } = (await import(new URL("../../dist/cli/commands/admin.js", import.meta.url).href)) as typeof CommandModule;
const chromium = chromiumForFile(closeDatabases);

/** A page whose browser has a platform authenticator that keeps discoverable credentials and verifies its user. */
async function pageWithAuthenticator(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return page;
}

for (const engine of testEngines) {
  describe(`passkeys in the admin, in Chromium, on ${engine}`, { skip: chromiumSkip }, () => {
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    let admin: Awaited<ReturnType<typeof startAdmin>>;
    let base: string;
    const regressions: { userId: number; passkey: string; stored: number; received: number }[] = [];
    const ids: Record<string, number> = {};
    const credentials = new PasskeyCredentials(TestUser);

    before(async () => {
      TestUser.database = await migratedDatabaseUrl(engine, sessionAuthApp, adminHistoryApp, passkeysApp);
      for (const [username, superuser] of [["erin", false], ["boss", true], ["mallory", false]] as const) {
        ids[username] = (await TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, active: true, admin: true, superuser })).id;
      }
      admin = await startAdmin({ port: 0, userClass: TestUser, passkeys: { onCounterRegression: (event) => regressions.push(event) } });
      // WebAuthn needs a domain for its relying party id: localhost, not 127.0.0.1.
      base = `http://localhost:${admin.port}/`;
    });
    after(async () => {
      await admin?.close();
    });

    const url = (path: string) => new URL(path, base).href;
    const logIn = async (page: Page, username: string) => {
      await page.goto(url("login"));
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password").fill(`${username}-pass1`);
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForLoadState("load");
    };
    const logOut = async (page: Page) => {
      await page.getByRole("button", { name: "Log out" }).click();
      await page.waitForURL(/\/login$/);
    };
    const whoAmI = async (page: Page) => ((await page.locator(".whoami strong").count()) ? await page.locator(".whoami strong").textContent() : null);
    const register = async (page: Page, username: string, name: string) => {
      await page.goto(url(`users/${ids[username]}`));
      await page.locator("#passkey_name").fill(name);
      await page.getByRole("button", { name: "Add a passkey" }).click();
      await page.locator("#passkeys .passkey-name", { hasText: name }).waitFor();
    };
    const passkeySignIn = async (page: Page) => {
      await page.goto(url("login"));
      await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    };
    /** The JSON the page posts to `path`, held back (the request is aborted) so the test can send it itself. */
    const holdBack = async (page: Page, path: string, start: () => Promise<void>): Promise<string> => {
      let body = "";
      await page.route(`**${path}`, async (route) => {
        body = route.request().postData() ?? "";
        await route.abort();
      });
      await start();
      await page.locator("[data-passkey-message]", { hasText: /fetch|Failed/ }).waitFor();
      await page.unroute(`**${path}`);
      assert.ok(body.length > 0, "the assertion was captured");
      return body;
    };
    /** A client outside the browser: its own CSRF cookie, on the given origin. */
    const client = async (origin: string) => {
      const http = new FakeBrowser((target, init) => fetch(target, init), origin);
      await http.get("/login");
      return http;
    };

    test("register in the admin, log out, sign in with the passkey and no password; replays, wrong origins and backwards counters are refused; removal ends it", async () => {
      const context = await chromium().newContext();
      const page = await pageWithAuthenticator(context);
      await logIn(page, "erin");
      await page.waitForURL(/\/users$/);
      await register(page, "erin", "laptop");
      const [stored] = await credentials.list(ids.erin!);
      assert.equal(stored?.name, "laptop");
      assert.equal(stored?.lastUsedAt, null);
      await logOut(page);

      // Passwordless: no username, no password.
      const verify = page.waitForRequest("**/passkeys/login");
      await passkeySignIn(page);
      await page.waitForURL(/\/users$/);
      assert.equal(await whoAmI(page), "erin");
      assert.ok((await credentials.list(ids.erin!))[0]?.lastUsedAt, "the use is recorded");
      const replayed = (await verify).postData() ?? "";

      // The same assertion again, from the same browser: its challenge is gone.
      await logOut(page);
      const replay = await page.evaluate(`(async () => {
        const form = document.querySelector("#passkey-login");
        const answer = await fetch(form.dataset.verifyUrl, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf }, body: ${JSON.stringify(replayed)} });
        return answer.status;
      })()`);
      assert.equal(replay, 401, "a replayed assertion is refused");
      assert.equal(await page.goto(url("users")).then(() => whoAmI(page)), null, "no session from the replay");

      // Two fresh assertions held back: one sent from another origin (127.0.0.1) is refused, the other from
      // this origin (the control, the same way of sending) logs in.
      const wrong = await holdBack(page, "/passkeys/login", () => passkeySignIn(page));
      const right = await holdBack(page, "/passkeys/login", () => passkeySignIn(page));
      const elsewhere = await client(`http://127.0.0.1:${admin.port}`);
      assert.equal((await elsewhere.postJson("/passkeys/login", JSON.parse(wrong))).status, 401, "an assertion for localhost sent to 127.0.0.1");
      const here = await client(base.replace(/\/$/, ""));
      const accepted = await here.postJson("/passkeys/login", JSON.parse(right));
      assert.equal(accepted.status, 200, "the same kind of request from the right origin");
      assert.equal(((await accepted.json()) as { user: { username: string } }).user.username, "erin");

      // A counter that goes backwards (a cloned authenticator): refused and reported, never a session.
      const database = await TestUser.getDatabase();
      await database.kysely.updateTable("passkey_credential").set({ sign_count: 1_000_000 }).where("user_id", "=", ids.erin!).execute();
      await passkeySignIn(page);
      await page.locator("[data-passkey-message]", { hasText: "could not be verified" }).waitFor();
      assert.equal(await page.goto(url("users")).then(() => whoAmI(page)), null);
      assert.equal(regressions.length, 1);
      assert.deepEqual({ ...regressions[0], received: regressions[0]!.received < 1_000_000 }, { userId: ids.erin, passkey: "laptop", stored: 1_000_000, received: true });
      await database.kysely.updateTable("passkey_credential").set({ sign_count: 0 }).where("user_id", "=", ids.erin!).execute();

      // Removing it (with the password) ends its use, though the authenticator still holds it. (With a
      // passkey, the password alone no longer logs erin in: the passkey step follows.)
      await logIn(page, "erin");
      await page.getByRole("button", { name: "Use your passkey" }).click();
      await page.waitForURL(/\/users$/);
      await page.goto(url(`users/${ids.erin}`));
      await page.locator(`#passkey-remove-password-${stored!.id}`).fill("erin-pass1");
      await page.getByRole("button", { name: "Remove laptop", exact: true }).click();
      await page.locator(".alert", { hasText: "Passkey removed." }).waitFor();
      assert.deepEqual(await credentials.list(ids.erin!), []);
      await logOut(page);
      await passkeySignIn(page);
      await page.locator("[data-passkey-message]", { hasText: "could not be verified" }).waitFor();
      assert.equal(await page.goto(url("users")).then(() => whoAmI(page)), null);
      await context.close();
    });

    test("the passkey as the second factor after a password; another user's credential cannot take the step; a superuser removes it with a history row", async () => {
      const context = await chromium().newContext();
      const page = await pageWithAuthenticator(context);
      await logIn(page, "boss");
      await register(page, "boss", "yubikey");
      await logOut(page);

      await logIn(page, "boss");
      await page.getByRole("heading", { name: "Confirm with your passkey" }).waitFor();
      assert.equal(await whoAmI(page), null, "no session after the password alone");
      await page.getByRole("button", { name: "Use your passkey" }).click();
      await page.waitForURL(/\/users$/);
      assert.equal(await whoAmI(page), "boss");

      // Mallory, in a browser of her own, registers her passkey, then knows boss's password: at boss's
      // step her authenticator signs boss's challenge, which the server refuses.
      const other = await chromium().newContext();
      const theirs = await pageWithAuthenticator(other);
      await logIn(theirs, "mallory");
      await register(theirs, "mallory", "phone");
      await logOut(theirs);
      await logIn(theirs, "boss");
      await theirs.getByRole("heading", { name: "Confirm with your passkey" }).waitFor();
      // Any credential of this authenticator (mallory's), not boss's.
      const status = await theirs.evaluate(`(async () => {
        const form = document.querySelector("#passkey-second");
        const options = JSON.parse(form.dataset.options);
        const fromB64 = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4)), (c) => c.charCodeAt(0));
        const toB64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/[+]/g, "-").replace(/[/]/g, "_").replace(/=+$/, "");
        const credential = await navigator.credentials.get({ publicKey: { challenge: fromB64(options.challenge), rpId: options.rpId, userVerification: "required" } });
        const r = credential.response;
        const response = { clientDataJSON: toB64(r.clientDataJSON), authenticatorData: toB64(r.authenticatorData), signature: toB64(r.signature), userHandle: r.userHandle ? toB64(r.userHandle) : undefined };
        const answer = await fetch(form.dataset.verifyUrl, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf }, body: JSON.stringify({ response: { id: credential.id, rawId: toB64(credential.rawId), type: "public-key", response, clientExtensionResults: {} } }) });
        return answer.status;
      })()`);
      assert.equal(status, 401, "mallory's passkey cannot complete boss's login");
      assert.equal(await theirs.goto(url("users")).then(() => whoAmI(theirs)), null);
      // Her passkey signs her in, as herself.
      await passkeySignIn(theirs);
      await theirs.waitForURL(/\/users$/);
      assert.equal(await whoAmI(theirs), "mallory");

      // A superuser sees mallory's passkey (no rename form) and removes it, with a history row.
      await page.goto(url(`users/${ids.mallory}`));
      assert.equal(await page.locator("#passkeys input[name=name]").count(), 0, "another's passkeys are not renamed");
      await page.getByRole("button", { name: "Remove phone", exact: true }).click();
      await page.locator(".alert", { hasText: "Passkey removed." }).waitFor();
      assert.match((await page.locator("body").textContent()) ?? "", /Passkey removed/);
      assert.deepEqual(await credentials.list(ids.mallory!), []);
      await context.close();
      await other.close();
    });
  });
}
