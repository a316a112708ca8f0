import { after, afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { getRequestListener } from "@hono/node-server";
import { BaseUser, closeDatabases, connect, migrateForwards, parseDatabaseUrl, type Database } from "piccolo-ts";
import { LOGIN_FAILED_MESSAGE, LoginRateLimiter } from "piccolo-ts/session";
import { LAST_SUPERUSER_MESSAGE, SUPERUSER_ONLY_MESSAGE, createAdminApp } from "piccolo-ts/admin";
import { adminHistoryApp, sessionAuthApp } from "./support/internals.js";
import type * as CommandModule from "../dist/cli/commands/admin.js";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { FakeBrowser } from "./support/browser.js";

// `piccolo admin`'s server is a command, not public API: load it from the built package.
const { startAdmin } = (await import(new URL("../../dist/cli/commands/admin.js", import.meta.url).href)) as typeof CommandModule;

const escaped = (text: string) => text.replace(/'/g, "&#39;").replace(/"/g, "&quot;");

after(async () => {
  await closeDatabases();
});

for (const engine of testEngines) {
  describe(`admin on ${engine}`, () => {
    let url: string;
    let db: Database;
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    const ids: Record<string, number> = {};
    let app: Hono;
    let nextAddress = 1;
    /** A browser with its own client address, so the rate limit of one test does not touch another. */
    const browser = (target: Hono = app) => {
      const address = `10.9.${Math.floor(nextAddress / 250)}.${nextAddress++ % 250}`;
      return new FakeBrowser((path, init) => target.request(path, init, { incoming: { socket: { remoteAddress: address } } }));
    };
    const loginAs = async (username: string, password = `${username}-pass1`, target: Hono = app) => {
      const b = browser(target);
      await b.get("/login");
      const response = await b.postForm("/login", { username, password });
      assert.equal(response.status, 303, `${username} logs in`);
      return b;
    };
    const sessionsOf = async (userId: number) =>
      Number(
        (
          await db.kysely
            .selectFrom("sessions")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("user_id", "=", userId)
            .executeTakeFirstOrThrow()
        ).n,
      );

    // Every test gets a new database with the same cast of users, so a test that changes a user (or
    // fails half-way) leaves nothing behind for the next one.
    beforeEach(async () => {
      url = await migratedDatabaseUrl(engine, sessionAuthApp, adminHistoryApp);
      TestUser.database = url;
      db = await connect(parseDatabaseUrl(url));
      const make = async (username: string, flags: { active?: boolean; admin?: boolean; superuser?: boolean }, extra = {}) => {
        ids[username] = (
          await TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, ...flags, ...extra })
        ).id;
      };
      await make("root", { active: true, admin: true, superuser: true });
      await make("alice", { active: true, admin: true }, { firstName: "Alice", lastName: "Liddell" });
      await make("carol", { active: true, admin: true });
      await make("plain", { active: true });
      await make("sleeper", { active: false, admin: true });
      for (let i = 1; i <= 22; i++) await make(`filler${String(i).padStart(2, "0")}`, { active: i % 2 === 0 });
      app = createAdminApp({ userClass: TestUser });
    });
    afterEach(async () => {
      await db.close();
      await closeDatabases();
    });

    test("the login page: labelled fields, a CSRF field, strict security headers", async () => {
      const b = browser();
      const response = await b.get("/login");
      assert.equal(response.status, 200);
      const page = await response.text();
      assert.match(page, /<label for="username">Username<\/label>/);
      assert.match(page, /<label for="password">Password<\/label>/);
      assert.match(page, /<html lang="en">/);
      assert.match(page, new RegExp(`name="csrftoken" value="${b.csrf()}"`));
      assert.match(response.headers.get("content-security-policy") ?? "", /default-src 'none'/);
      assert.equal(response.headers.get("x-frame-options"), "DENY");
      assert.equal(response.headers.get("cache-control"), "no-store");
      const css = await b.get("/admin.css");
      assert.equal(css.status, 200);
      assert.match(css.headers.get("content-type") ?? "", /text\/css/);
    });

    test("only active admins get in; non-admin, inactive, unknown and wrong passwords see one generic message", async () => {
      for (const [username, password] of [
        ["plain", "plain-pass1"],
        ["sleeper", "sleeper-pass1"],
        ["ghost", "ghost-pass1"],
        ["alice", "not-her-password"],
      ] as const) {
        const b = browser();
        await b.get("/login");
        const response = await b.postForm("/login", { username, password });
        assert.equal(response.status, 401, username);
        const page = await response.text();
        assert.ok(page.includes(escaped(LOGIN_FAILED_MESSAGE)), username);
        assert.match(page, /role="alert"/);
        assert.equal(b.cookie("id"), undefined);
      }
      const b = browser();
      await b.get("/login");
      const response = await b.postForm("/login", { username: "alice", password: "alice-pass1" });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/users");
      const cookie = b.cookies.get("id")!;
      assert.match(cookie.attributes, /HttpOnly/i);
      assert.match(cookie.attributes, /SameSite=Lax/i);
      assert.equal((await b.get("/users")).status, 200);
    });

    test("without a session: pages redirect to the login page, posts are refused", async () => {
      const b = browser();
      const response = await b.get("/users?page=2");
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/login?next=%2Fusers%3Fpage%3D2");
      const login = await b.get("/login?next=%2Fusers%3Fpage%3D2");
      assert.match(await login.text(), /name="next" value="\/users\?page=2"/);
      const post = await b.postForm(`/users/${ids.carol}/password`, { new_password: "x", confirm_password: "x" });
      assert.equal(post.status, 401);
      const next = await b.postForm("/login", { username: "alice", password: "alice-pass1", next: "/users?page=2" });
      assert.equal(next.headers.get("location"), "/users?page=2");
    });

    test("the users page: paginated, sortable, searchable, never a password or hash", async () => {
      const b = await loginAs("alice");
      const total = 27;
      const first = await (await b.get("/users")).text();
      assert.ok(first.includes(`Users 1 to 20 of ${total}`), "summary");
      assert.equal(first.match(/<tr>\n<td[^>]*><a href="\/users\/\d+">/g)?.length, 20);
      assert.match(first, /<th scope="col" aria-sort="ascending"><a href="\/users\?sort=-username"/);
      assert.match(first, /rel="next" href="\/users\?page=2"/);
      const second = await (await b.get("/users?page=2")).text();
      assert.ok(second.includes(`Users 21 to ${total} of ${total}`));
      assert.equal(second.match(/<tr>\n<td[^>]*><a href="\/users\/\d+">/g)?.length, 7);
      assert.match(second, /rel="prev"/);
      const descending = await (await b.get("/users?sort=-username")).text();
      const names = [...descending.matchAll(/<td[^>]*><a href="\/users\/\d+">([^<]+)<\/a><\/td>/g)].map((m) => m[1]);
      assert.equal(names[0], "sleeper");
      assert.deepEqual(names, [...names].sort().reverse());
      assert.match(descending, /aria-sort="descending"/);
      const byId = await (await b.get("/users?sort=id&limit=50")).text();
      assert.equal([...byId.matchAll(/<td[^>]*><a href="\/users\/\d+">([^<]+)<\/a><\/td>/g)][0]![1], "root");
      assert.ok(byId.includes("Users 1 to 27 of 27"));
      const search = await (await b.get("/users?q=LIDDELL")).text();
      const found = [...search.matchAll(/<td[^>]*><a href="\/users\/\d+">([^<]+)<\/a><\/td>/g)].map((m) => m[1]);
      assert.deepEqual(found, ["alice"]);
      const none = await (await b.get("/users?q=%3Cscript%3E")).text();
      assert.ok(none.includes("No users match “&lt;script&gt;”."));
      assert.ok(!none.includes("<script>"));
      const junk = await b.get("/users?page=999&sort=password&limit=7");
      assert.equal(junk.status, 200);
      for (const page of [first, second, descending, search]) {
        assert.doesNotMatch(page, /pbkdf2_sha256|-pass1/);
      }
    });

    test("a user's page shows their details; unknown users are 404", async () => {
      const b = await loginAs("alice");
      const page = await (await b.get(`/users/${ids.alice}`)).text();
      assert.match(page, /<h1>alice \(you\)<\/h1>/);
      assert.ok(page.includes("alice@example.com"));
      assert.ok(page.includes("Liddell"));
      assert.doesNotMatch(page, /pbkdf2_sha256|-pass1/);
      const other = await (await b.get(`/users/${ids.carol}`)).text();
      assert.ok(other.includes("Only superusers can change other users."));
      assert.ok(!other.includes(`action="/users/${ids.carol}/password"`), "no password form for a plain admin");
      assert.equal((await b.get("/users/999999")).status, 404);
      assert.equal((await b.get("/users/abc")).status, 404);
    });

    test("a plain admin's direct requests to change other users are refused with 403", async () => {
      const b = await loginAs("alice");
      const password = await b.postForm(`/users/${ids.carol}/password`, { new_password: "hijacked-1", confirm_password: "hijacked-1" });
      assert.equal(password.status, 403);
      assert.ok((await password.text()).includes(SUPERUSER_ONLY_MESSAGE));
      assert.equal(await TestUser.login("carol", "carol-pass1"), ids.carol);
      assert.equal(await TestUser.login("carol", "hijacked-1"), null);

      const flags = await b.postForm(`/users/${ids.carol}/permissions`, { active: "on", admin: "on", superuser: "on" });
      assert.equal(flags.status, 403);
      assert.equal((await TestUser.getUser(ids.carol!))!.superuser, false);
      const own = await b.postForm(`/users/${ids.alice}/permissions`, { active: "on", admin: "on", superuser: "on" });
      assert.equal(own.status, 403, "not even their own flags");
      assert.equal((await TestUser.getUser(ids.alice!))!.superuser, false);

      const create = await b.postForm("/users", { username: "mallory", password: "mallory-1", confirm_password: "mallory-1", admin: "on", superuser: "on" });
      assert.equal(create.status, 403);
      assert.equal(await TestUser.getUser("mallory"), null);
      assert.equal((await b.postForm(`/users/${ids.carol}/deactivate`, {})).status, 403);
      assert.equal((await TestUser.getUser(ids.carol!))!.active, true);
      assert.equal((await b.get("/users/new")).status, 403);
    });

    test("CSRF: a superuser's request without the token, or from another site, changes nothing", async () => {
      const b = await loginAs("root");
      const noToken = await b.postForm(`/users/${ids.carol}/permissions`, { active: "on", admin: "on", superuser: "on" }, { csrf: false });
      assert.equal(noToken.status, 403);
      assert.match(await noToken.text(), /CSRF/);
      const crossSite = await b.postForm(`/users/${ids.carol}/deactivate`, {}, { headers: { origin: "https://evil.example" } });
      assert.equal(crossSite.status, 403);
      const user = (await TestUser.getUser(ids.carol!))!;
      assert.equal(user.superuser, false);
      assert.equal(user.active, true);
      const logout = await b.postForm("/logout", {}, { csrf: false });
      assert.equal(logout.status, 403, "logout is a state change too");
    });

    test("a superuser sets another user's password: that user is logged out and logs in with the new one", async () => {
      const carol = await loginAs("carol");
      const carolSecond = await loginAs("carol");
      assert.equal((await carol.get("/users")).status, 200);
      const root = await loginAs("root");
      const detail = await (await root.get(`/users/${ids.carol}`)).text();
      assert.ok(detail.includes(`action="/users/${ids.carol}/password"`));
      const mismatch = await root.postForm(`/users/${ids.carol}/password`, { new_password: "carol-new-1", confirm_password: "carol-new-2" });
      assert.equal(mismatch.status, 400);
      const short = await root.postForm(`/users/${ids.carol}/password`, { new_password: "abc", confirm_password: "abc" });
      assert.equal(short.status, 400);
      assert.ok((await short.text()).includes("The password is too short. (min 6)"));
      assert.equal(await sessionsOf(ids.carol!), 2);

      const set = await root.postForm(`/users/${ids.carol}/password`, { new_password: "carol-new-1", confirm_password: "carol-new-1" });
      assert.equal(set.status, 303);
      assert.match(set.headers.get("location") ?? "", new RegExp(`^/users/${ids.carol}\\?done=password&sig=[\\w-]+$`));
      assert.ok((await (await root.get(set.headers.get("location")!)).text()).includes("carol was logged out everywhere"));
      // The message comes from the signed redirect, not from the words in the URL.
      assert.ok(!(await (await root.get(`/users/${ids.carol}?done=password`)).text()).includes("carol was logged out everywhere"));
      assert.equal(await sessionsOf(ids.carol!), 0);
      assert.equal((await carol.get("/users")).status, 303);
      assert.equal((await carolSecond.get("/users")).status, 303);
      const old = browser();
      await old.get("/login");
      assert.equal((await old.postForm("/login", { username: "carol", password: "carol-pass1" })).status, 401);
      await loginAs("carol", "carol-new-1");
    });

    test("a superuser creates users, edits flags and deactivates users (ending their sessions)", async () => {
      const root = await loginAs("root");
      const form = await (await root.get("/users/new")).text();
      assert.match(form, /<label for="username">Username<\/label>/);
      assert.match(form, /<label for="new-superuser">/);
      const fields = { username: "dave", email: "dave@example.com", first_name: "Dave", last_name: "Bowman", password: "dave-pass1", confirm_password: "dave-pass1", active: "on" };
      const mismatch = await root.postForm("/users", { ...fields, confirm_password: "other-pass" });
      assert.equal(mismatch.status, 400);
      const page = await mismatch.text();
      assert.ok(page.includes("The passwords do not match."));
      assert.match(page, /value="dave@example.com"/, "entered values are kept");
      assert.doesNotMatch(page, /dave-pass1/, "passwords are not echoed");
      const taken = await root.postForm("/users", { ...fields, username: "alice" });
      assert.equal(taken.status, 400);
      assert.ok((await taken.text()).includes(escaped('The username "alice" is already taken.')));

      const created = await root.postForm("/users", fields);
      assert.equal(created.status, 303);
      const dave = (await TestUser.getUser("dave"))!;
      assert.match(created.headers.get("location") ?? "", new RegExp(`^/users/${dave.id}\\?done=created&sig=[\\w-]+$`));
      assert.deepEqual([dave.active, dave.admin, dave.superuser, dave.firstName], [true, false, false, "Dave"]);
      const flags = await root.postForm(`/users/${dave.id}/permissions`, { active: "on", admin: "on" });
      assert.equal(flags.status, 303);
      assert.equal((await TestUser.getUser(dave.id))!.admin, true);

      const daveBrowser = await loginAs("dave");
      assert.equal(await sessionsOf(dave.id), 1);
      const off = await root.postForm(`/users/${dave.id}/deactivate`, { confirmed: "yes" });
      assert.equal(off.status, 303);
      assert.equal((await TestUser.getUser(dave.id))!.active, false);
      assert.equal(await sessionsOf(dave.id), 0);
      assert.equal((await daveBrowser.get("/users")).status, 303);
      const again = browser();
      await again.get("/login");
      assert.equal((await again.postForm("/login", { username: "dave", password: "dave-pass1" })).status, 401);
    });

    test("the last active superuser cannot remove their own superuser flag or deactivate themselves", async () => {
      const root = await loginAs("root");
      const demote = await root.postForm(`/users/${ids.root}/permissions`, { active: "on", admin: "on" });
      assert.equal(demote.status, 409);
      assert.ok((await demote.text()).includes(escaped(LAST_SUPERUSER_MESSAGE)));
      const quit = await root.postForm(`/users/${ids.root}/deactivate`, {});
      assert.equal(quit.status, 409);
      const unadmin = await root.postForm(`/users/${ids.root}/permissions`, { active: "on", superuser: "on" });
      assert.equal(unadmin.status, 409);
      let me = (await TestUser.getUser(ids.root!))!;
      assert.deepEqual([me.active, me.admin, me.superuser], [true, true, true]);
      // An inactive superuser does not count as another one.
      await TestUser.changePermissions("sleeper", { superuser: true });
      assert.equal((await root.postForm(`/users/${ids.root}/permissions`, { active: "on", admin: "on" })).status, 409);
      // With a second active superuser, root may step down.
      assert.equal((await root.postForm(`/users/${ids.alice}/permissions`, { active: "on", admin: "on", superuser: "on" })).status, 303);
      const stepDown = await root.postForm(`/users/${ids.root}/permissions`, { active: "on", admin: "on", confirmed: "yes" });
      assert.equal(stepDown.status, 303);
      me = (await TestUser.getUser(ids.root!))!;
      assert.equal(me.superuser, false);
      assert.equal((await root.postForm(`/users/${ids.carol}/deactivate`, {})).status, 403);
    });

    test("changing your own password asks for the current one; your other sessions end, this one stays", async () => {
      const a = await loginAs("alice");
      const other = await loginAs("alice");
      const form = await (await a.get("/password")).text();
      assert.match(form, /<label for="current_password">Current password<\/label>/);
      const wrong = await a.postForm("/password", { current_password: "nope-nope", new_password: "alice-new-1", confirm_password: "alice-new-1" });
      assert.equal(wrong.status, 400);
      assert.ok((await wrong.text()).includes("Your current password is not right."));
      const mismatch = await a.postForm("/password", { current_password: "alice-pass1", new_password: "alice-new-1", confirm_password: "alice-new-2" });
      assert.equal(mismatch.status, 400);
      assert.equal(await TestUser.login("alice", "alice-pass1"), ids.alice);
      const ok = await a.postForm("/password", { current_password: "alice-pass1", new_password: "alice-new-1", confirm_password: "alice-new-1" });
      assert.equal(ok.status, 303);
      assert.equal((await a.get("/users")).status, 200, "this browser stays logged in");
      assert.equal((await other.get("/users")).status, 303, "the other session ended");
      assert.equal(await sessionsOf(ids.alice!), 1);
      assert.equal(await TestUser.login("alice", "alice-new-1"), ids.alice);
      // A superuser uses the same page for their own password, not the other-user form.
      const root = await loginAs("root");
      const self = await root.postForm(`/users/${ids.root}/password`, { new_password: "root-new-1", confirm_password: "root-new-1" });
      assert.equal(self.status, 400);
      assert.equal(await TestUser.login("root", "root-pass1"), ids.root);
    });

    test("failed logins are rate-limited: 429 with Retry-After after 5 in 15 minutes from one address, not elsewhere", async () => {
      const limited = createAdminApp({ userClass: TestUser, rateLimit: new LoginRateLimiter({ now: () => 0 }) });
      const statuses: number[] = [];
      const attacker = browser(limited);
      await attacker.get("/login");
      for (let i = 0; i < 6; i++) {
        statuses.push((await attacker.postForm("/login", { username: "carol", password: `wrong-${i}-pass` })).status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
      const blocked = await attacker.postForm("/login", { username: "carol", password: "carol-pass1" });
      assert.equal(blocked.status, 429);
      assert.equal(blocked.headers.get("retry-after"), "900");
      assert.ok((await blocked.text()).includes("Too many login attempts. Try again in 15 minutes."));
      // The attacker's failures do not lock carol out from her own address.
      const b = browser(limited);
      await b.get("/login");
      assert.equal((await b.postForm("/login", { username: "carol", password: "carol-pass1" })).status, 303);
      await b.postForm("/logout", {});
    });

    test("logout ends the session on the server", async () => {
      const b = await loginAs("carol");
      const token = b.cookie("id")!;
      assert.equal(await sessionsOf(ids.carol!), 1);
      const out = await b.postForm("/logout", {});
      assert.equal(out.status, 303);
      assert.equal(out.headers.get("location"), "/login");
      assert.equal(await sessionsOf(ids.carol!), 0);
      const replay = await app.request("/users", { headers: { cookie: `id=${token}`, accept: "text/html" } });
      assert.equal(replay.status, 303);
    });

    test("mounted in a Hono app with app.route('/admin'): links, redirects and cookies use the prefix", async () => {
      const parent = new Hono();
      parent.get("/", (c) => c.text("home"));
      parent.get("/cookies-seen", (c) => c.text(c.req.header("cookie") ?? ""));
      parent.route("/admin", createAdminApp({ userClass: TestUser }));
      const b = browser(parent);
      const login = await b.get("/admin/login");
      const page = await login.text();
      assert.match(page, /action="\/admin\/login"/);
      assert.match(page, /href="\/admin\/admin.css"/);
      assert.match(b.cookies.get("csrftoken")!.attributes, /Path=\/admin/);
      const response = await b.postForm("/admin/login", { username: "alice", password: "alice-pass1" });
      assert.equal(response.headers.get("location"), "/admin/users");
      assert.match(b.cookies.get("id")!.attributes, /Path=\/admin/);
      const users = await (await b.get("/admin/users")).text();
      assert.match(users, new RegExp(`href="/admin/users/${ids.carol}"`));
      assert.equal((await b.get("/admin")).headers.get("location"), "/admin/users");
      // With a trailing slash too (what the Hono example prints): Hono's own routes would answer 404.
      const slash = await b.get("/admin/");
      assert.equal(slash.status, 302);
      assert.equal(slash.headers.get("location"), "/admin/users");
      assert.equal((await b.get("/admin/favicon.ico")).status, 204);
      assert.equal(await (await b.get("/")).text(), "home");
      // Scoped to /admin: the session and CSRF cookies never reach the rest of the site.
      assert.equal(await (await b.get("/cookies-seen")).text(), "", "the parent app received the admin's cookies");
      assert.match(b.cookieHeader("/admin/users"), /(^|; )id=/);
    });

    test("mounted Express-style (prefix stripped from the URL, kept in req.baseUrl) through getRequestListener", async () => {
      const listener = getRequestListener(createAdminApp({ userClass: TestUser }).fetch);
      const server = createServer((req: IncomingMessage & { baseUrl?: string }, res: ServerResponse) => {
        if (req.url === "/admin" || req.url?.startsWith("/admin/") || req.url?.startsWith("/admin?")) {
          req.baseUrl = "/admin";
          req.url = req.url.slice("/admin".length) || "/";
          void listener(req, res);
        } else {
          res.writeHead(404).end();
        }
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const b = new FakeBrowser((target, init) => fetch(target, init), `http://127.0.0.1:${port}`);
        assert.match(await (await b.get("/admin/login")).text(), /action="\/admin\/login"/);
        const response = await b.postForm("/admin/login", { username: "alice", password: "alice-pass1" });
        assert.equal(response.status, 303);
        assert.equal(response.headers.get("location"), "/admin/users");
        assert.equal((await b.get("/admin/users")).status, 200);
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    test("`piccolo admin`'s server: listens on 127.0.0.1, and says which migration is missing", async () => {
      const running = await startAdmin({ port: 0, userClass: TestUser });
      try {
        assert.match(running.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
        const response = await fetch(new URL("login", running.url));
        assert.equal(response.status, 200);
        assert.match(await response.text(), /Log in/);
      } finally {
        await running.close();
      }
      const bare = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: bare });
      // Every table the pages use, named with the one command that makes them all.
      await assert.rejects(startAdmin({ port: 0, db: bare }), /needs the tables of session_auth, admin_history.*piccolo migrations forwards all/);
      await migrateForwards("session_auth", { database: bare });
      await assert.rejects(startAdmin({ port: 0, db: bare }), /needs the tables of admin_history.*"piccolo migrations forwards admin_history"/);
    });
  });
}
