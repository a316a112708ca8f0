// The admin on a phone (390 px wide, Chromium): the users list and a user's history fit the screen
// without sideways scrolling, each user a card with its flags right under the name, each history entry
// with its "Changes" in view. Screenshots go to the browser tests' screenshot directory.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { BaseUser, closeDatabases } from "piccolo-ts";
import { adminHistoryApp, sessionAuthApp } from "./support/internals.js";
import type * as CommandModule from "../dist/cli/commands/admin.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { chromiumForFile, chromiumSkip, screenshotDir } from "./support/browser.js";

const { startAdmin } = (await import(new URL("../../dist/cli/commands/admin.js", import.meta.url).href)) as typeof CommandModule;
const PHONE = { width: 390, height: 844 };

// The layout does not depend on the engine: SQLite only (the file registers nothing in the PgBouncer pass).
// Chromium is started inside the suite: hooks at the top of a file that registers no test would start it
// in the PgBouncer pass with nobody to close it, and the file would never end.
if (testEngines.includes("sqlite")) describe("the admin on a 390 px phone screen", { skip: chromiumSkip }, () => {
  const chromium = chromiumForFile(closeDatabases);
  class TestUser extends BaseUser {
    static override iterations = 1000;
  }
  let admin: Awaited<ReturnType<typeof startAdmin>>;
  let edited = 0;
  const at = (route: string) => new URL(route, admin.url).href;

  before(async () => {
    TestUser.database = await migratedDatabaseUrl("sqlite", sessionAuthApp, adminHistoryApp);
    await TestUser.createUser({ username: "root", password: "root-pass1", email: "root@example.com", active: true, admin: true, superuser: true });
    for (let i = 0; i < 6; i++) {
      const user = await TestUser.createUser({
        username: `someone.with.a.long.name.${i}`,
        password: "some-pass1",
        email: `someone.with.a.long.address.${i}@example-company.com`,
        firstName: "Maximilian",
        lastName: "Lengthyname-Doublebarrel",
        active: i % 2 === 0,
      });
      edited = user.id;
    }
    admin = await startAdmin({ port: 0, userClass: TestUser });
  });
  after(async () => {
    await admin?.close();
  });

  /**
   * How far the page reaches past the phone's right edge (0: nothing to scroll sideways to). Measured
   * against the phone's width, not the window's: a mobile browser widens its layout to fit what overflows.
   */
  const overflow = (page: Page) => page.evaluate<number>(`Math.max(0, document.documentElement.scrollWidth - ${PHONE.width})`);
  /** The right edges of every element matching `selector` (the page-side code is a string: no DOM types here). */
  const rightEdges = (page: Page, selector: string) =>
    page.evaluate<number[]>(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.getBoundingClientRect().right)`);

  test("the users list: no sideways scroll, every flag and name inside the screen; a user's history shows its changes", async () => {
    const context = await chromium().newContext({ viewport: PHONE, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    try {
      await page.goto(at("login"));
      await page.fill("#username", "root");
      await page.fill("#password", "root-pass1");
      await Promise.all([page.waitForURL(/\/users$/), page.click("button[type=submit]")]);
      assert.equal(await overflow(page), 0, "the users page scrolls sideways");
      const flags = await rightEdges(page, "td.flag");
      assert.equal(flags.length, 7 * 3, "three flags per user");
      for (const right of flags) assert.ok(right <= PHONE.width, `a flag ends at ${right} px, off the screen`);
      for (const right of await rightEdges(page, "td.username")) assert.ok(right <= PHONE.width);
      // Each flag still says which one it is.
      assert.match((await page.textContent("tbody tr td.flag")) ?? "", /Yes|No/);
      const label = await page.evaluate<string>("getComputedStyle(document.querySelector('tbody td.flag'), '::before').content");
      assert.match(label, /Active/);
      mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({ path: path.join(screenshotDir, "admin-users-phone.png"), fullPage: true });

      // A change, so the history has an entry with its "Changes" list.
      await page.goto(at(`users/${edited}`));
      await page.fill("#first_name", "Max");
      await Promise.all([page.waitForURL(/done=profile/), page.click("form[action$='/profile'] button[type=submit]")]);
      assert.equal(await overflow(page), 0, "the user's page scrolls sideways");
      const changes = await rightEdges(page, "table.history td.wrap");
      assert.ok(changes.length >= 1, "the history lists the change");
      for (const right of changes) assert.ok(right <= PHONE.width, `"Changes" ends at ${right} px, off the screen`);
      assert.match((await page.textContent("table.history td.wrap")) ?? "", /First name: Maximilian → Max/);
      await page.screenshot({ path: path.join(screenshotDir, "admin-history-phone.png"), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
