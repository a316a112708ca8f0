// The admin's edit, delete, filter, bulk, confirmation and history features over HTTP (no browser), on
// every engine; the `piccolo user delete` command. The same features in Chromium: admin-actions-browser.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { BaseUser, closeDatabases, connect, parseDatabaseUrl, type Database } from "piccolo-ts";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { FakeBrowser } from "./support/browser.js";
import { piccolo } from "./support/cli.js";
import { createAdminApp } from "piccolo-ts/admin";
import { sessionAuthApp, adminHistoryApp, ADMIN_HISTORY_TABLE } from "./support/internals.js";

const load = async <T>(path: string) => (await import(new URL(`../../dist/${path}`, import.meta.url).href)) as T;

after(async () => {
  await closeDatabases();
});

for (const engine of testEngines) {
  describe(`admin actions on ${engine}`, () => {
    let url: string;
    let db: Database;
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    let app: Hono;
    let nextAddress = 1;
    const browser = (target: Hono = app) => {
      const address = `10.8.${Math.floor(nextAddress / 250)}.${nextAddress++ % 250}`;
      return new FakeBrowser((path, init) => target.request(path, init, { incoming: { socket: { remoteAddress: address } } }));
    };
    const loginAs = async (username: string, target: Hono = app) => {
      const b = browser(target);
      await b.get("/login");
      assert.equal((await b.postForm("/login", { username, password: `${username}-pass1` })).status, 303, `${username} logs in`);
      return b;
    };
    const make = async (username: string, flags: { active?: boolean; admin?: boolean; superuser?: boolean }) =>
      (await TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, ...flags })).id;
    const historyRows = async (userId: number) =>
      db.kysely.selectFrom(ADMIN_HISTORY_TABLE).selectAll().where("user_id", "=", userId).orderBy("id").execute();
    const sessionsOf = async (userId: number) =>
      Number((await db.kysely.selectFrom("sessions").select((eb) => eb.fn.countAll().as("n")).where("user_id", "=", userId).executeTakeFirstOrThrow()).n);

    before(async () => {
      url = await migratedDatabaseUrl(engine, sessionAuthApp, adminHistoryApp);
      TestUser.database = url;
      db = await connect(parseDatabaseUrl(url));
      await make("root", { active: true, admin: true, superuser: true });
      await make("alice", { active: true, admin: true });
      app = createAdminApp({ userClass: TestUser });
    });
    after(async () => {
      await db.close();
    });

    test("odd query values are a 400, never a 500", async () => {
      const b = await loginAs("root");
      const rootId = (await TestUser.getUser("root"))!.id;
      for (const path of ["/users?done=__proto__", "/users?done=constructor", `/users/${rootId}?done=valueOf`, "/password?done=toString", "/users?q=%00"]) {
        const response = await b.get(path);
        assert.equal(response.status, 400, path);
      }
      assert.equal((await b.get("/users?done=created")).status, 200);
      assert.equal((await b.get("/users?active=maybe&limit=-1&page=abc&sort=password")).status, 200);
    });

    test("editing details: the API's messages on the field, input kept, history old → new", async () => {
      const id = await make("edith", { active: true });
      const root = await loginAs("root");
      const taken = await root.postForm(`/users/${id}/profile`, { username: "edith", email: "alice@example.com", first_name: "Edith", last_name: "Piaf" });
      assert.equal(taken.status, 400);
      const page = await taken.text();
      assert.ok(page.includes("The email &quot;alice@example.com&quot; is already taken."));
      assert.match(page, /id="email" name="email" value="alice@example.com" aria-invalid="true"/);
      assert.match(page, /value="Piaf"/, "the other fields keep what was typed");
      const takenName = await root.postForm(`/users/${id}/profile`, { username: "alice", email: "edith@example.com" });
      assert.match(await takenName.text(), /id="username" name="username" value="alice" aria-invalid="true"/);
      const saved = await root.postForm(`/users/${id}/profile`, { username: "edith2", email: "edith@piaf.example", first_name: "Edith", last_name: "" });
      assert.equal(saved.status, 303);
      const user = (await TestUser.getUser(id))!;
      assert.deepEqual([user.username, user.email, user.firstName], ["edith2", "edith@piaf.example", "Edith"]);
      const [entry] = await historyRows(id);
      assert.equal(entry!.action, "profile");
      assert.equal(entry!.actor_username, "root");
      assert.deepEqual(JSON.parse(String(entry!.changes)), [
        { field: "username", from: "edith", to: "edith2" },
        { field: "email", from: "edith@example.com", to: "edith@piaf.example" },
        { field: "first_name", from: "", to: "Edith" },
      ]);
      const shown = await (await root.get(`/users/${id}`)).text();
      assert.ok(shown.includes("Email: edith@example.com → edith@piaf.example"));
    });

    test("a password change is history as 'password changed', never the password or its hash", async () => {
      const id = await make("pat", { active: true });
      const root = await loginAs("root");
      assert.equal((await root.postForm(`/users/${id}/password`, { new_password: "secret-new-1", confirm_password: "secret-new-1" })).status, 303);
      const rows = await historyRows(id);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.action, "password");
      assert.doesNotMatch(JSON.stringify(rows), /secret-new-1|pbkdf2/);
      assert.match(await (await root.get(`/users/${id}`)).text(), /<td[^>]*>root<\/td>\n<td[^>]*>Password changed<\/td>/);
    });

    test("history: newest first, 10 a page", async () => {
      const id = await make("hank", { active: true });
      const root = await loginAs("root");
      for (let i = 1; i <= 12; i++) {
        assert.equal((await root.postForm(`/users/${id}/profile`, { username: "hank", email: `hank${i}@example.com` })).status, 303);
      }
      const first = await (await root.get(`/users/${id}`)).text();
      const emails = (page: string) => [...page.matchAll(/→ (hank\d+@example\.com)/g)].map((m) => m[1]);
      assert.deepEqual(emails(first), [12, 11, 10, 9, 8, 7, 6, 5, 4, 3].map((i) => `hank${i}@example.com`));
      assert.ok(first.includes("History page 1 of 2"));
      const second = await (await root.get(`/users/${id}?history=2`)).text();
      assert.deepEqual(emails(second), ["hank2@example.com", "hank1@example.com"]);
    });

    test("delete: a confirmation page first; never yourself, never the last active admin superuser", async () => {
      const id = await make("doomed", { active: true, admin: true });
      const doomed = await loginAs("doomed");
      const root = await loginAs("root");
      const ask = await root.get(`/users/${id}/delete`);
      assert.equal(ask.status, 200);
      const page = await ask.text();
      assert.ok(page.includes("end all of doomed&#39;s sessions"));
      assert.match(page, /name="confirmed" value="yes"/);
      const unconfirmed = await root.postForm(`/users/${id}/delete`, {});
      assert.equal(unconfirmed.status, 200, "posting without the confirmation only shows the page");
      assert.ok(await TestUser.getUser(id));
      const done = await root.postForm(`/users/${id}/delete`, { confirmed: "yes" });
      assert.equal(done.status, 303);
      assert.equal(await TestUser.getUser(id), null);
      assert.equal(await sessionsOf(id), 0);
      assert.equal((await doomed.get("/users")).status, 303, "their session is gone");
      assert.equal((await historyRows(id)).at(-1)!.action, "deleted");
      // A later user may get the same id (SQLite reuses the highest one): the old history is not theirs.
      const successor = await make("successor", { active: true });
      if (successor === id) assert.doesNotMatch(await (await root.get(`/users/${id}`)).text(), /<td[^>]*>Deleted<\/td>/);
      assert.ok((await (await root.get(`/users/${successor}`)).text()).includes("No changes made in the admin yet."));

      const rootId = (await TestUser.getUser("root"))!.id;
      const self = await root.postForm(`/users/${rootId}/delete`, { confirmed: "yes" });
      assert.equal(self.status, 400);
      assert.ok((await self.text()).includes("You cannot delete yourself"));
      assert.ok(await TestUser.getUser(rootId));
    });

    test("taking rights away asks first; about yourself it says so", async () => {
      const id = await make("flagged", { active: true, admin: true, superuser: true });
      const root = await loginAs("root");
      const ask = await root.postForm(`/users/${id}/permissions`, { active: "on", admin: "on" });
      assert.equal(ask.status, 200);
      assert.ok((await ask.text()).includes("take the superuser flag from flagged"));
      assert.equal((await TestUser.getUser(id))!.superuser, true, "nothing changed yet");
      const granting = await root.postForm(`/users/${id}/permissions`, { active: "on", admin: "on", superuser: "on" });
      assert.equal(granting.status, 303, "giving rights needs no confirmation");
      const me = await loginAs("flagged");
      const own = await me.postForm(`/users/${id}/permissions`, { active: "on", superuser: "on" });
      assert.ok((await own.text()).includes("You are taking rights away from yourself"));
      const confirmedOwn = await me.postForm(`/users/${id}/permissions`, { active: "on", superuser: "on", confirmed: "yes" });
      assert.equal(confirmedOwn.status, 303);
      assert.equal(confirmedOwn.headers.get("location"), "/login");
      assert.equal((await TestUser.getUser(id))!.admin, false);
      assert.equal(await sessionsOf(id), 0, "without the admin flag, their sessions end");
      const rows = await historyRows(id);
      assert.deepEqual(JSON.parse(String(rows.at(-1)!.changes)), [{ field: "admin", from: true, to: false }]);
      assert.equal(rows.at(-1)!.actor_username, "flagged");
    });

    test("filters combine with search and sort and stay in the links; page sizes 20/50/100", async () => {
      for (let i = 1; i <= 3; i++) await make(`filt${i}`, { active: i !== 2, admin: i === 3 });
      const root = await loginAs("root");
      const page = await (await root.get("/users?q=filt&active=yes&sort=-username")).text();
      const names = [...page.matchAll(/<td[^>]*><a href="\/users\/\d+">([^<]+)<\/a><\/td>/g)].map((m) => m[1]);
      assert.deepEqual(names, ["filt3", "filt1"]);
      assert.match(page, /href="\/users\?q=filt&amp;sort=email&amp;active=yes"/, "sort links keep search and filters");
      const both = await (await root.get("/users?q=filt&active=yes&admin=no")).text();
      assert.deepEqual([...both.matchAll(/<td[^>]*><a href="\/users\/\d+">([^<]+)<\/a><\/td>/g)].map((m) => m[1]), ["filt1"]);
      const empty = await (await root.get("/users?q=filt&active=no&admin=yes")).text();
      assert.ok(empty.includes("No users match “filt” (not active, admin)."));
      assert.doesNotMatch(empty, /<thead>|Page 1 of 1/);
      const sizes = await (await root.get("/users?limit=50")).text();
      assert.match(sizes, /<option value="50" selected>/);
      assert.match(sizes, /<option value="20">20<\/option><option value="50" selected>50<\/option><option value="100">100<\/option>/);
    });

    test("bulk actions: no action chosen at first; activate, deactivate and delete after confirming; yourself left out; the message is the server's", async () => {
      const ids = [await make("bulk1", { active: false }), await make("bulk2", { active: false })];
      const rootId = (await TestUser.getUser("root"))!.id;
      const root = await loginAs("root");
      const bulk = (fields: [string, string][]) =>
        root.request("/users/bulk", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html" },
          body: new URLSearchParams([...fields, ["csrftoken", root.csrf()]]).toString(),
        });
      const list = await (await root.get("/users")).text();
      assert.match(list, /<select id="bulk-action" name="action" required><option value="" selected>Choose an action<\/option>/);
      assert.equal((await bulk([["action", ""], ["ids", String(ids[0])]])).status, 400, "no action chosen");
      const askActivate = await bulk([["action", "activate"], ...ids.map((id) => ["ids", String(id)] as [string, string])]);
      assert.equal(askActivate.status, 200);
      assert.ok((await askActivate.text()).includes("Activate 2 users?"));
      for (const id of ids) assert.equal((await TestUser.getUser(id))!.active, false, "nothing activated before confirming");
      const activate = await bulk([["action", "activate"], ["confirmed", "yes"], ...ids.map((id) => ["ids", String(id)] as [string, string])]);
      assert.equal(activate.status, 303);
      assert.match(activate.headers.get("location") ?? "", /done=activated_many&count=2&sig=/);
      for (const id of ids) assert.equal((await TestUser.getUser(id))!.active, true);
      assert.ok((await (await root.get(activate.headers.get("location")!)).text()).includes("2 users activated."));
      // A link someone made up shows no message: the count is not the URL's to say.
      const forged = await (await root.get("/users?done=deleted_many&count=4821")).text();
      assert.ok(!forged.includes("4821"), "a made-up count was shown");
      // A signed address works only in the session it was made for (sent as a link to someone else: nothing).
      const elsewhere = await loginAs("root");
      assert.ok(!(await (await elsewhere.get(activate.headers.get("location")!)).text()).includes("activated"), "another session's message was shown");
      const withSelf = [...ids, rootId].map((id) => ["ids", String(id)] as [string, string]);
      const ask = await bulk([["action", "deactivate"], ...withSelf]);
      assert.equal(ask.status, 200);
      assert.ok((await ask.text()).includes("You selected yourself"));
      const off = await bulk([["action", "deactivate"], ["confirmed", "yes"], ...withSelf]);
      assert.match(off.headers.get("location") ?? "", /count=2&skipped=1/);
      assert.equal((await TestUser.getUser(rootId))!.active, true);
      for (const id of ids) assert.equal((await TestUser.getUser(id))!.active, false);
      const gone = await bulk([["action", "delete"], ["confirmed", "yes"], ...withSelf]);
      assert.match(gone.headers.get("location") ?? "", /done=deleted_many&count=2&skipped=1/);
      for (const id of ids) assert.equal(await TestUser.getUser(id), null);
      assert.ok(await TestUser.getUser(rootId));
    });

    test("a plain admin's changing requests are all refused with 403, and change nothing", async () => {
      const target = await make("victim", { active: true, admin: true });
      const alice = await loginAs("alice");
      const before = await TestUser.getUser(target);
      const posts: [string, Record<string, string>][] = [
        [`/users/${target}/profile`, { username: "owned", email: "owned@example.com" }],
        [`/users/${target}/permissions`, { confirmed: "yes" }],
        [`/users/${target}/deactivate`, { confirmed: "yes" }],
        [`/users/${target}/delete`, { confirmed: "yes" }],
        [`/users/${target}/password`, { new_password: "owned-pass1", confirm_password: "owned-pass1" }],
        ["/users/bulk", { action: "delete", ids: String(target), confirmed: "yes" }],
        ["/users", { username: "mallory", password: "mallory-1", confirm_password: "mallory-1" }],
      ];
      for (const [path, fields] of posts) assert.equal((await alice.postForm(path, fields)).status, 403, path);
      for (const path of [`/users/${target}/delete`, `/users/${target}/deactivate`, "/users/new"]) {
        assert.equal((await alice.get(path)).status, 403, path);
      }
      assert.deepEqual(await TestUser.getUser(target), before);
      assert.equal(await TestUser.login("victim", "victim-pass1"), target);
      assert.equal((await historyRows(target)).filter((row) => Number(row.retired) === 0).length, 0);
    });

    test("deployment options reach the session auth: secure cookies, a trusted proxy's scheme", async () => {
      // Over HTTPS the CSRF cookie is `__Host-csrftoken` (Secure, Path=/, no Domain).
      const secure = browser(createAdminApp({ userClass: TestUser, deployment: { secure: true } }));
      await secure.get("/login");
      assert.match(secure.cookies.get("__Host-csrftoken")!.attributes, /Secure/i);
      const proxied = browser(createAdminApp({ userClass: TestUser, deployment: { trustProxy: true } }));
      await proxied.get("/login", { "x-forwarded-proto": "https" });
      assert.match(proxied.cookies.get("__Host-csrftoken")!.attributes, /Secure/i);
      const plain = browser(createAdminApp({ userClass: TestUser }));
      await plain.get("/login", { "x-forwarded-proto": "https" });
      assert.doesNotMatch(plain.cookies.get("csrftoken")!.attributes, /Secure/i);
    });

    test("the login form says \"Username or email\" when the user class logs in by email", async () => {
      class EmailUser extends TestUser {
        static override loginWithEmail = true;
      }
      const byEmail = await browser(createAdminApp({ userClass: EmailUser })).get("/login");
      assert.match(await byEmail.text(), /<label for="username">Username or email<\/label>/);
      const byName = await browser(createAdminApp({ userClass: TestUser })).get("/login");
      assert.match(await byName.text(), /<label for="username">Username<\/label>/);
    });

    test("`piccolo user delete`: asks unless --yes, --json, exit 1 for an unknown user", async () => {
      const id = await make("cli_gone", { active: true });
      const no = await piccolo(["--db", url, "user", "delete", "cli_gone"], { input: "n\n" });
      assert.equal(no.code, 0, no.all);
      assert.match(no.stderr, /Delete user cli_gone \(id \d+\) and end their sessions\? \[y\/N\]/);
      assert.ok(await TestUser.getUser(id));
      const ended = await piccolo(["--db", url, "user", "delete", "cli_gone"]);
      assert.equal(ended.code, 1, "no answer on standard input is a failure, not a yes");
      assert.match(ended.stderr, /--yes/);
      const root = await loginAs("root");
      await root.postForm(`/users/${id}/profile`, { username: "cli_gone", email: "cli_gone@changed.example" });
      const yes = await piccolo(["--db", url, "user", "delete", "cli_gone"], { input: "y\n" });
      assert.equal(yes.code, 0, yes.all);
      const rows = await historyRows(id);
      assert.ok(rows.length > 0 && rows.every((row) => Number(row.retired) === 1), "its admin history is retired");
      assert.match(yes.stdout, /Deleted user cli_gone/);
      assert.equal(await TestUser.getUser(id), null);
      const other = await make("cli_json", {});
      const json = await piccolo(["--db", url, "user", "delete", "cli_json", "--yes", "--json"]);
      assert.equal(json.code, 0, json.all);
      assert.deepEqual(JSON.parse(json.stdout), { deleted: true, id: other, username: "cli_json" });
      const missing = await piccolo(["--db", url, "user", "delete", "nobody", "--yes"]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /nobody/);
    });
  });
}
