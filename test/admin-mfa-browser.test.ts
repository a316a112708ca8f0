// Two-factor authentication end to end in Chromium against `piccolo admin`'s server, per engine: enroll on
// your own page (QR code and secret shown; a wrong code keeps it off), log out, log in with the password
// then the code; a replayed code, a code from two steps ago and a used recovery code are refused; a
// recovery code works once; a superuser turns off another user's (history row); requireMfa: "superusers"
// takes a superuser through enrollment before any session.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { BaseUser, MfaAuthenticator, closeDatabases } from "piccolo-ts";
import { adminHistoryApp, generateMfaKey, sessionAuthApp, totpCode } from "./support/internals.js";
import type * as CommandModule from "../dist/cli/commands/admin.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { chromiumForFile, chromiumSkip } from "./support/browser.js";

const { startAdmin } = (await import(new URL("../../dist/cli/commands/admin.js", import.meta.url).href)) as typeof CommandModule;
const chromium = chromiumForFile(closeDatabases);
const KEY = generateMfaKey();

for (const engine of testEngines) {
  describe(`two-factor authentication in the admin, in Chromium, on ${engine}`, { skip: chromiumSkip }, () => {
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    let mfa: MfaAuthenticator;
    let admin: Awaited<ReturnType<typeof startAdmin>>;
    let strict: Awaited<ReturnType<typeof startAdmin>>;
    const ids: Record<string, number> = {};

    before(async () => {
      const url = await migratedDatabaseUrl(engine, sessionAuthApp, adminHistoryApp, "mfa_authenticator");
      TestUser.database = url;
      for (const [username, superuser] of [["root", true], ["erin", false], ["boss", true]] as const) {
        ids[username] = (await TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, active: true, admin: true, superuser })).id;
      }
      mfa = new MfaAuthenticator({ encryption: { key: KEY }, users: TestUser });
      admin = await startAdmin({ port: 0, userClass: TestUser, mfa });
      strict = await startAdmin({ port: 0, userClass: TestUser, mfa, requireMfa: "superusers" });
    });
    after(async () => {
      await admin?.close();
      await strict?.close();
    });

    const newPage = async (): Promise<Page> => (await chromium().newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const logIn = async (page: Page, base: string, username: string) => {
      await page.goto(new URL("login", base).href);
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password").fill(`${username}-pass1`);
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForLoadState("load");
    };
    const enterCode = async (page: Page, code: string) => {
      await page.locator("#mfa_code").fill(code);
      await page.locator("#mfa_code").press("Enter");
      await page.waitForLoadState("load");
    };
    const logOut = async (page: Page) => {
      await page.getByRole("button", { name: "Log out" }).click();
      await page.waitForURL(/\/login$/);
    };
    const hasSession = async (page: Page) => (await page.context().cookies()).some((cookie) => cookie.name === "id" && cookie.value !== "");

    test("enroll on your own page, then log in with password and code; replays, old codes and used recovery codes are refused", async () => {
      const page = await newPage();
      await logIn(page, admin.url, "erin");
      await page.waitForURL(/\/users$/);
      await page.goto(new URL(`users/${ids.erin}`, admin.url).href);
      assert.match((await page.locator("#mfa-state").textContent()) ?? "", /Off/);
      await page.locator("#mfa-enroll-password").fill("erin-pass1");
      await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
      await page.waitForLoadState("load");
      assert.equal(await page.locator(".qr svg").count(), 1, "the QR code");
      const secret = ((await page.locator("#mfa-secret").textContent()) ?? "").trim();
      assert.match(secret, /^[A-Z2-7]{32}$/, "the secret as text");

      const wrong = totpCode(secret) === "000000" ? "111111" : "000000";
      await enterCode(page, wrong);
      assert.match((await page.getByRole("alert").textContent()) ?? "", /not right/);
      assert.equal((await mfa.status("erin")).enrolled, false, "a wrong confirmation code keeps it off");
      await enterCode(page, totpCode(secret));
      const codes = (await page.locator("#recovery-codes li").allTextContents()).map((text) => text.trim());
      assert.equal(codes.length, 8);
      await page.getByRole("link", { name: "Continue" }).click();
      await page.waitForLoadState("load");
      assert.match((await page.locator("#mfa-state").textContent()) ?? "", /On/);
      await logOut(page);

      await logIn(page, admin.url, "erin");
      assert.equal(await hasSession(page), false, "no session after the password alone");
      const next = totpCode(secret, Date.now() + 30_000);
      await enterCode(page, next);
      await page.waitForURL(/\/users$/);
      await logOut(page);

      await logIn(page, admin.url, "erin");
      await enterCode(page, next);
      assert.match((await page.getByRole("alert").textContent()) ?? "", /not right/, "a replayed code");
      await enterCode(page, totpCode(secret, Date.now() - 60_000));
      assert.match((await page.getByRole("alert").textContent()) ?? "", /not right/, "a code from two steps ago");
      assert.equal(await hasSession(page), false);
      await enterCode(page, codes[0]!);
      await page.waitForURL(/\/users$/);
      await logOut(page);

      await logIn(page, admin.url, "erin");
      await enterCode(page, codes[0]!);
      assert.match((await page.getByRole("alert").textContent()) ?? "", /not right/, "a used recovery code");
      assert.equal(await hasSession(page), false);
      await page.context().close();
    });

    test("the users list shows the flag; a superuser turns off another user's, with a history row", async () => {
      const page = await newPage();
      await logIn(page, admin.url, "root");
      await page.waitForURL(/\/users$/);
      const erinRow = page.locator("tbody tr", { hasText: "erin@example.com" });
      assert.deepEqual((await erinRow.locator("td").allTextContents()).map((t) => t.trim()).slice(5, 9), ["Yes", "Yes", "No", "Yes"]);
      await page.getByLabel("Two-factor").selectOption("yes");
      await page.getByRole("button", { name: "Search" }).click();
      await page.waitForURL(/mfa=yes/);
      assert.deepEqual((await page.locator("tbody tr td:nth-child(2)").allTextContents()).map((t) => t.trim()), ["erin"]);
      await page.goto(new URL("users?mfa=no", admin.url).href);
      assert.deepEqual((await page.locator("tbody tr td:nth-child(2)").allTextContents()).map((t) => t.trim()).sort(), ["boss", "root"]);
      await page.goto(new URL(`users/${ids.erin}`, admin.url).href);
      await page.getByRole("button", { name: "Turn off two-factor authentication for erin" }).click();
      await page.waitForURL(/done=mfa_revoked/);
      assert.equal((await mfa.status("erin")).enrolled, false);
      assert.ok(((await page.locator("main").textContent()) ?? "").includes("Two-factor authentication turned off"));
      await page.context().close();
    });

    test('requireMfa: "superusers" takes a superuser through enrollment before any session', async () => {
      const page = await newPage();
      await logIn(page, strict.url, "boss");
      assert.equal(await hasSession(page), false);
      assert.equal(await page.locator(".qr svg").count(), 1);
      const secret = ((await page.locator("#mfa-secret").textContent()) ?? "").trim();
      await enterCode(page, totpCode(secret));
      assert.equal((await page.locator("#recovery-codes li").count()), 8);
      await page.getByRole("link", { name: "Continue" }).click();
      await page.waitForURL(/\/users$/);
      assert.equal(await hasSession(page), true);
      assert.equal((await mfa.status("boss")).enrolled, true);
      await page.context().close();
    });
  });
}
