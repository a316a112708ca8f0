// The admin's edit, delete, filter, bulk, confirmation and history features driven in a real Chromium
// (Debian's package, through playwright-core) against `piccolo admin`'s server. With
// PICCOLO_UPDATE_SCREENSHOTS=1 the pages are saved to docs/screenshots/ at desktop and phone widths.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { BaseUser, closeDatabases } from "piccolo-ts";
import type * as CommandModule from "../dist/cli/commands/admin.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { chromiumForFile, chromiumSkip, screenshotDir } from "./support/browser.js";
import { sessionAuthApp, adminHistoryApp } from "./support/internals.js";

const load = async <T>(file: string) => (await import(new URL(`../../dist/${file}`, import.meta.url).href)) as T;
const { startAdmin } = await load<typeof CommandModule>("cli/commands/admin.js");

const skip = chromiumSkip;
const chromium = chromiumForFile(closeDatabases);

for (const engine of testEngines) {
  describe(`admin actions in Chromium on ${engine}`, { skip }, () => {
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
        ["second", "Sam", "Second", { active: true, admin: true, superuser: true }],
        ["carol", "Carol", "Shaw", { active: true, admin: true }],
        ["dave", "Dave", "Bowman", { active: true }],
        ["erin", "Erin", "Brockovich", { active: true, admin: true }],
        ["frank", "Frank", "Poole", { active: true }],
        ["gina", "Gina", "Torres", { active: true }],
        ["hal", "Hal", "Nine Thousand", { active: false }],
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

    const login = async (username: string): Promise<Page> => {
      const context = await chromium().newContext({ viewport: { width: 1280, height: 800 } });
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      await page.goto(at("login"));
      await page.getByLabel("Username", { exact: true }).fill(username);
      await page.getByLabel("Password", { exact: true }).fill(`${username}-pass1`);
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL(/\/users$/);
      return page;
    };
    /** Desktop and phone screenshots of the page as it is (first engine only, so one set is kept). */
    const shoot = async (page: Page, name: string) => {
      if (engine !== testEngines[0]) return;
      mkdirSync(screenshotDir, { recursive: true });
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      assert.ok(await page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth"), `${name}: no sideways scrolling on a phone`);
      await page.screenshot({ path: path.join(screenshotDir, `${name}-phone.png`), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 800 });
    };
    const historyText = async (page: Page) => (await page.locator("table.history tbody").textContent()) ?? "";
    const status = async (page: Page) => ((await page.getByRole("status").first().textContent()) ?? "").trim();

    test("a superuser edits details: a taken email is that field's error with the input kept; the history shows old → new", async () => {
      const page = await login("root");
      try {
        await page.goto(at(`users/${ids.dave}`));
        await page.getByLabel("Email", { exact: true }).fill("carol@example.com");
        await page.getByLabel("First name", { exact: true }).fill("David");
        await page.getByRole("button", { name: "Save details" }).click();
        const alert = page.getByRole("alert");
        assert.equal((await alert.textContent())?.trim(), 'The email "carol@example.com" is already taken.');
        const email = page.getByLabel("Email", { exact: true });
        assert.equal(await email.inputValue(), "carol@example.com");
        assert.equal(await email.getAttribute("aria-invalid"), "true");
        assert.equal(await page.getByLabel("First name", { exact: true }).inputValue(), "David");
        await email.fill("dave@bowman.example");
        await page.getByRole("button", { name: "Save details" }).click();
        await page.waitForURL(/done=profile/);
        assert.equal(await status(page), "Details saved.");
        const history = await historyText(page);
        assert.match(history, /root/);
        assert.match(history, /Email: dave@example\.com → dave@bowman\.example/);
        assert.match(history, /First name: Dave → David/);
        await shoot(page, "admin-user");
      } finally {
        await page.context().close();
      }
    });

    test("a superuser creates a user; the new user's history says who created it with which values", async () => {
      const page = await login("root");
      try {
        await page.getByRole("link", { name: "Add a user" }).click();
        await page.getByLabel("Username", { exact: true }).fill("ivy");
        await page.getByLabel("Email (optional)").fill("ivy@example.com");
        await page.getByLabel("Password", { exact: true }).fill("ivy-pass1");
        await page.getByLabel("Confirm the password").fill("ivy-pass1");
        await page.getByLabel("Admin (may use this admin)").check();
        await page.getByRole("button", { name: "Create user" }).click();
        await page.waitForURL(/done=created/);
        const history = await historyText(page);
        assert.match(history, /root\s*Created/);
        assert.match(history, /Email: ivy@example\.com/);
        assert.match(history, /Admin: Yes/);
        assert.doesNotMatch(await page.content(), /ivy-pass1|pbkdf2/);
        await TestUser.deleteUser("ivy");
      } finally {
        await page.context().close();
      }
    });

    test("filters, search and sort combine and stay in the URL; page size; an empty result says so without a table", async () => {
      const page = await login("root");
      try {
        await page.getByLabel("Admin", { exact: true }).selectOption("yes");
        await page.getByLabel("Active", { exact: true }).selectOption("yes");
        await page.getByRole("button", { name: "Search" }).click();
        await page.waitForURL(/active=yes/);
        const names = async () => (await page.locator("tbody tr td:nth-child(2)").allTextContents()).map((text) => text.trim());
        assert.deepEqual(await names(), ["carol", "erin", "root", "second"]);
        await page.getByRole("link", { name: "Username: sort descending" }).click();
        await page.waitForURL(/sort=-username/);
        assert.match(page.url(), /admin=yes/);
        assert.deepEqual(await names(), ["second", "root", "erin", "carol"]);
        await page.getByLabel("Per page").selectOption("50");
        await page.getByRole("button", { name: "Search" }).click();
        await page.waitForURL(/limit=50/);
        assert.match(page.url(), /sort=-username/);
        await shoot(page, "admin-users-filtered");

        await page.goto(at("users"));
        await page.getByLabel("Search users").fill("nobody-at-all");
        await page.keyboard.press("Enter");
        await page.waitForURL(/q=nobody-at-all/);
        assert.match(await status(page), /No users match “nobody-at-all”/);
        assert.equal(await page.locator("table").count(), 0);
        assert.equal(await page.getByText("Page 1 of 1").count(), 0);
        await shoot(page, "admin-users-empty");
      } finally {
        await page.context().close();
      }
    });

    test("deactivating goes through a confirmation page; so does taking away your own superuser flag", async () => {
      const page = await login("root");
      try {
        await page.goto(at(`users/${ids.frank}`));
        await page.getByRole("link", { name: "Deactivate frank" }).click();
        await page.getByRole("heading", { name: "Deactivate frank?" }).waitFor();
        await shoot(page, "admin-confirm-deactivate");
        await page.getByRole("button", { name: "Deactivate frank" }).click();
        await page.waitForURL(/done=deactivated/);
        assert.equal((await TestUser.getUser(ids.frank!))!.active, false);
        assert.match(await historyText(page), /Active: Yes → No/);
      } finally {
        await page.context().close();
      }
      const self = await login("second");
      try {
        await self.goto(at(`users/${ids.second}`));
        await self.getByLabel("Superuser", { exact: true }).uncheck();
        await self.getByRole("button", { name: "Save permissions" }).click();
        await self.getByRole("heading", { name: "Take rights away from second?" }).waitFor();
        assert.match((await self.getByRole("alert").textContent()) ?? "", /taking rights away from yourself/);
        await shoot(self, "admin-confirm-own-rights");
        assert.equal((await TestUser.getUser(ids.second!))!.superuser, true, "nothing changes before confirming");
        await self.getByRole("button", { name: "Save these permissions" }).click();
        await self.waitForURL(/done=permissions/);
        assert.equal((await TestUser.getUser(ids.second!))!.superuser, false);
        assert.match(await historyText(self), /Superuser: Yes → No/);
      } finally {
        await self.context().close();
      }
    });

    test("deleting says what goes, ends the user's sessions, and is never offered for yourself", async () => {
      const erin = await login("erin");
      const page = await login("root");
      try {
        await page.goto(at(`users/${ids.root}`));
        assert.equal(await page.getByRole("link", { name: "Delete root" }).count(), 0);
        await page.goto(at(`users/${ids.erin}`));
        await page.getByRole("link", { name: "Delete erin" }).click();
        await page.getByRole("heading", { name: "Delete erin?" }).waitFor();
        const text = (await page.locator("main").textContent()) ?? "";
        assert.match(text, /end all of erin's sessions/);
        await shoot(page, "admin-confirm-delete");
        await page.getByRole("button", { name: "Delete erin" }).click();
        await page.waitForURL(/done=deleted/);
        assert.match(await status(page), /deleted, with their sessions/);
        assert.equal(await TestUser.getUser(ids.erin!), null);
        await erin.reload();
        await erin.waitForURL(/\/login\?next=/);
      } finally {
        await page.context().close();
        await erin.context().close();
      }
    });

    test("bulk actions on selected rows: none chosen at first; deactivate after confirming (yourself left out), then activate after confirming", async () => {
      const page = await login("root");
      try {
        // No action until one is chosen: Apply alone is stopped by the browser (the select is required).
        assert.equal(await page.getByLabel("With the selected users").inputValue(), "");
        await page.getByLabel("Select gina", { exact: true }).check();
        await page.getByRole("button", { name: "Apply" }).click();
        assert.ok(page.url().endsWith("/users"), `Apply without an action went to ${page.url()}`);
        await page.getByLabel("Select gina", { exact: true }).uncheck();
        for (const name of ["gina", "dave", "root"]) await page.getByLabel(`Select ${name}`, { exact: true }).check();
        await page.getByLabel("With the selected users").selectOption("deactivate");
        await page.getByRole("button", { name: "Apply" }).click();
        await page.getByRole("heading", { name: "Deactivate 3 users?" }).waitFor();
        assert.match((await page.getByRole("alert").textContent()) ?? "", /You selected yourself/);
        await shoot(page, "admin-confirm-bulk");
        await page.getByRole("button", { name: "Deactivate these 3 users" }).click();
        await page.waitForURL(/done=deactivated_many/);
        assert.match(await status(page), /2 users deactivated/);
        assert.deepEqual(
          await Promise.all(["gina", "dave", "root"].map(async (name) => (await TestUser.getUser(ids[name]!))!.active)),
          [false, false, true],
        );
        for (const name of ["gina", "dave"]) await page.getByLabel(`Select ${name}`, { exact: true }).check();
        await page.getByLabel("With the selected users").selectOption("activate");
        await page.getByRole("button", { name: "Apply" }).click();
        await page.getByRole("heading", { name: "Activate 2 users?" }).waitFor();
        assert.equal((await TestUser.getUser(ids.gina!))!.active, false, "nothing activated before confirming");
        await page.getByRole("button", { name: "Activate these 2 users" }).click();
        await page.waitForURL(/done=activated_many/);
        assert.match(await status(page), /2 users activated/);
        assert.equal((await TestUser.getUser(ids.gina!))!.active, true);
        await page.goto(at(`users/${ids.gina}`));
        const history = await historyText(page);
        assert.ok(history.indexOf("Active: No → Yes") < history.indexOf("Active: Yes → No"), "newest first");
        assert.match(history, /Active: Yes → No/);
      } finally {
        await page.context().close();
      }
    });

    test("layout: flag checkboxes keep their size when hints wrap; buttons keep a gap below the text above them", async () => {
      const page = await login("root");
      try {
        await page.setViewportSize({ width: 390, height: 844 });
        await page.goto(at(`users/${ids.gina}`));
        const box = async (selector: string) => (await page.locator(selector).first().boundingBox())!;
        const widths = await Promise.all(["#flag-active", "#flag-admin", "#flag-superuser"].map(async (id) => (await box(id)).width));
        assert.ok(widths.every((width) => Math.abs(width - widths[0]!) < 0.5 && width >= 16), `checkbox widths ${widths.join(", ")}`);
        const gap = async (above: string, below: string) => (await box(below)).y - ((await box(above)).y + (await box(above)).height);
        assert.ok((await gap("#password-heading ~ .hint", "label[for=new_password]")) >= 8, "password card: hint, then a gap, then the form");
        assert.ok((await gap("#danger-heading ~ .hint", "#danger-heading ~ .actions")) >= 8, "deactivate card: text, then a gap, then the buttons");
        assert.ok((await gap("#flag-superuser-hint", "button:has-text('Save permissions')")) >= 8);
      } finally {
        await page.context().close();
      }
    });

    test("a plain admin sees no controls, and every changing request posted directly is refused with 403", async () => {
      const page = await login("carol");
      try {
        await page.goto(at(`users/${ids.gina}`));
        assert.equal(await page.locator("main form").count(), 0);
        assert.equal(await page.getByLabel("Select gina").count(), 0);
        const csrf = (await page.context().cookies()).find((cookie) => cookie.name === "csrftoken")!.value;
        const gina = ids.gina!;
        const posts: [string, Record<string, string>][] = [
          [`users/${gina}/profile`, { username: "owned", email: "owned@example.com" }],
          [`users/${gina}/permissions`, { active: "on", admin: "on", superuser: "on", confirmed: "yes" }],
          [`users/${gina}/deactivate`, { confirmed: "yes" }],
          [`users/${gina}/delete`, { confirmed: "yes" }],
          [`users/${gina}/password`, { new_password: "owned-pass1", confirm_password: "owned-pass1" }],
          ["users/bulk", { action: "delete", ids: String(gina), confirmed: "yes" }],
          ["users", { username: "mallory", password: "mallory-1", confirm_password: "mallory-1" }],
        ];
        for (const [route, form] of posts) {
          const response = await page.request.post(at(route), { form: { ...form, csrftoken: csrf }, maxRedirects: 0 });
          assert.equal(response.status(), 403, route);
        }
        const user = (await TestUser.getUser(gina))!;
        assert.deepEqual([user.username, user.active, user.admin, user.superuser], ["gina", true, false, false]);
        assert.equal(await TestUser.login("gina", "gina-pass1"), gina);
        assert.equal(await TestUser.getUser("mallory"), null);
      } finally {
        await page.context().close();
      }
    });
  });
}
