// End to end in a real Chromium (Debian's package, driven by playwright-core) against `piccolo admin`'s
// server on 127.0.0.1. One browser for the whole file; a fresh context (cookie jar) per person.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, statSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { BaseUser, closeDatabases } from "piccolo-ts";
import { LOGIN_FAILED_MESSAGE } from "piccolo-ts/session";
import { adminHistoryApp, sessionAuthApp } from "./support/internals.js";
import type * as CommandModule from "../dist/cli/commands/admin.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { chromiumForFile, chromiumSkip, screenshotDir } from "./support/browser.js";

// `piccolo admin`'s server is a command, not public API: load it from the built package.
const { startAdmin } = (await import(new URL("../../dist/cli/commands/admin.js", import.meta.url).href)) as typeof CommandModule;

const skip = chromiumSkip;
const chromium = chromiumForFile(closeDatabases);

for (const engine of testEngines) {
  describe(`admin in Chromium on ${engine}`, { skip }, () => {
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    let admin: Awaited<ReturnType<typeof startAdmin>>;
    const ids: Record<string, number> = {};
    const at = (route: string) => new URL(route, admin.url).href;

    before(async () => {
      const url = await migratedDatabaseUrl(engine, sessionAuthApp, adminHistoryApp);
      TestUser.database = url;
      const people = [
        ["root", "Ada", "Lovelace", { active: true, admin: true, superuser: true }],
        ["carol", "Carol", "Shaw", { active: true, admin: true }],
        ["plain", "Paul", "Plain", { active: true }],
        ["sleeper", "Rip", "Van Winkle", { active: false, admin: true }],
        ["grace", "Grace", "Hopper", { active: true, admin: true }],
        ["linus", "Linus", "Torvalds", { active: false }],
      ] as const;
      for (const [username, firstName, lastName, flags] of people) {
        ids[username] = (
          await TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, firstName, lastName, ...flags })
        ).id;
      }
      admin = await startAdmin({ port: 0, userClass: TestUser });
    });
    after(async () => {
      await admin?.close();
    });

    // Page-side expressions are strings: the test project compiles without the DOM types.
    const focused = (page: Page) => page.evaluate<string>("document.activeElement ? (document.activeElement.id || document.activeElement.textContent.trim()) : ''");
    /** `autofocus` applies at the browser's next rendering step: wait for it rather than race it. */
    // Polled from here: waitForFunction compiles its predicate inside the page, which the admin's CSP
    // (no 'unsafe-eval') refuses whenever the first check does not already pass.
    const waitForFocus = async (page: Page, id: string) => {
      for (let tries = 0; (await focused(page)) !== id; tries++) {
        assert.ok(tries < 100, `#${id} never got the focus`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    const newPage = async (): Promise<Page> => {
      const context = await chromium().newContext({ viewport: { width: 1280, height: 800 } });
      return context.newPage();
    };

    /** Logs in with the keyboard only: the username field has the focus, Tab moves on, Enter submits. */
    const typeLogin = async (page: Page, username: string, password: string) => {
      await page.goto(at("login"));
      await waitForFocus(page, "username");
      await page.keyboard.type(username);
      await page.keyboard.press("Tab");
      assert.equal(await focused(page), "password");
      await page.keyboard.type(password);
      await page.keyboard.press("Enter");
      await page.waitForLoadState("load");
    };

    const refusedMessage = async (page: Page) => {
      const alert = page.getByRole("alert");
      await alert.waitFor();
      return (await alert.textContent())?.trim();
    };

    test("non-admin and inactive users are refused with the same message; an admin gets in", async () => {
      const page = await newPage();
      try {
        await page.goto(at("login"));
        // Tab order on the login page: username (focused on arrival), password, then the button.
        await waitForFocus(page, "username");
        await page.keyboard.press("Tab");
        assert.equal(await focused(page), "password");
        await page.keyboard.press("Tab");
        assert.equal(await focused(page), "Log in");
        if (engine === testEngines[0]) {
          mkdirSync(screenshotDir, { recursive: true });
          await page.getByLabel("Username", { exact: true }).focus();
          await page.screenshot({ path: path.join(screenshotDir, "admin-login.png") });
        }

        await typeLogin(page, "plain", "plain-pass1");
        assert.equal(await refusedMessage(page), LOGIN_FAILED_MESSAGE);
        assert.ok(page.url().endsWith("/login"));
        await typeLogin(page, "sleeper", "sleeper-pass1");
        assert.equal(await refusedMessage(page), LOGIN_FAILED_MESSAGE);
        await typeLogin(page, "nobody", "nobody-pass1");
        assert.equal(await refusedMessage(page), LOGIN_FAILED_MESSAGE);
        assert.equal((await page.context().cookies()).some((cookie) => cookie.name === "id"), false);

        await typeLogin(page, "root", "root-pass1");
        await page.waitForURL(/\/users$/);
        await page.getByRole("heading", { name: "Users" }).waitFor();
        const rows = page.locator("tbody tr");
        assert.equal(await rows.count(), 6);
        const session = (await page.context().cookies()).find((cookie) => cookie.name === "id");
        assert.ok(session);
        assert.equal(session.httpOnly, true);
        assert.equal(session.sameSite, "Lax");
        // Sorting and searching by keyboard.
        await page.getByRole("link", { name: "Last name: sort ascending" }).focus();
        await page.keyboard.press("Enter");
        await page.waitForURL(/sort=last_name/);
        assert.equal((await rows.first().getByRole("link").textContent())?.trim(), "grace");
        await page.getByLabel("Search users").fill("van winkle");
        await page.keyboard.press("Enter");
        await page.waitForURL(/q=van\+winkle/);
        assert.equal(await rows.count(), 1);
        assert.equal((await rows.first().getByRole("link").textContent())?.trim(), "sleeper");
        await page.goto(at("users"));
        if (engine === testEngines[0]) {
          await page.screenshot({ path: path.join(screenshotDir, "admin-users.png"), fullPage: true });
        }
        // The first Tab reaches the skip link.
        await page.keyboard.press("Tab");
        assert.equal(await focused(page), "Skip to content");
        // Narrow screens: the page itself never scrolls sideways (the table scrolls in its own box).
        await page.setViewportSize({ width: 360, height: 740 });
        assert.ok(await page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth"));
        const content = await page.content();
        assert.doesNotMatch(content, /pbkdf2_sha256|-pass1/);
      } finally {
        await page.context().close();
      }
      if (engine === testEngines[0]) {
        for (const name of ["admin-login.png", "admin-users.png"]) {
          assert.ok(statSync(path.join(screenshotDir, name)).size > 1000, name);
        }
      }
    });

    test("a superuser changes another user's password: that user is logged out and logs in with the new one", async () => {
      const carol = await newPage();
      const boss = await newPage();
      try {
        await typeLogin(carol, "carol", "carol-pass1");
        await carol.waitForURL(/\/users$/);

        await typeLogin(boss, "root", "root-pass1");
        await boss.waitForURL(/\/users$/);
        await boss.getByRole("link", { name: "carol", exact: true }).click();
        await boss.waitForURL(new RegExp(`/users/${ids.carol}$`));
        await boss.getByLabel("New password", { exact: true }).fill("carol-new-pass");
        await boss.getByLabel("Confirm the new password", { exact: true }).fill("carol-new-pass");
        await boss.getByRole("button", { name: "Set password" }).click();
        await boss.waitForURL(/done=password/);
        assert.match((await boss.getByRole("status").first().textContent()) ?? "", /carol was logged out everywhere/);

        // Carol's next request finds no session: back to the login page.
        await carol.reload();
        await carol.waitForURL(/\/login\?next=/);
        await typeLogin(carol, "carol", "carol-pass1");
        assert.equal(await refusedMessage(carol), LOGIN_FAILED_MESSAGE);
        await typeLogin(carol, "carol", "carol-new-pass");
        await carol.waitForURL(/\/users$/);

        // A plain admin sees no controls for other users, and logging out ends the session.
        await carol.goto(at(`users/${ids.grace}`));
        assert.equal(await carol.getByRole("button", { name: "Set password" }).count(), 0);
        await carol.getByRole("button", { name: "Log out" }).click();
        await carol.waitForURL(/\/login$/);
        await carol.goto(at("users"));
        await carol.waitForURL(/\/login\?next=/);
      } finally {
        await carol.context().close();
        await boss.context().close();
      }
    });
  });
}
