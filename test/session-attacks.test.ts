// Issue 9, tried as an attacker would against the session layer, on every engine: each test reproduces
// an attack that used to work and shows it fails now.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { BaseUser, closeDatabases, connect, parseDatabaseUrl, PiccoloError, type Database } from "piccolo-ts";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { FakeBrowser } from "./support/browser.js";
import { createSessionAuth, SessionStore, LoginRateLimiter, checkCurrentPassword, getSessionUser } from "piccolo-ts/session";
import { sessionAuthApp } from "./support/internals.js";


after(async () => {
  await closeDatabases();
});

/**
 * Counts password checks (each costs one hash) and how many ran at once: the logins the rate limit let
 * through to the hash (the session layer counts the attempt in `beforeHash`, after the login's query).
 */
function countingUserClass(url: string) {
  const counter = { calls: 0, inFlight: 0, maxInFlight: 0 };
  class CountedUser extends BaseUser {
    static override iterations = 1000;
    // The session layer calls login(username, password, options).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    static override async login(...args: any[]): Promise<number | null> {
      const [username, password, options = {}] = args as [string, string, { beforeHash?: (account: { userId: number | null }) => Promise<boolean> } | undefined];
      let checking = false;
      const beforeHash = async (account: { userId: number | null }) => {
        if (options.beforeHash && !(await options.beforeHash(account))) return false;
        checking = true;
        counter.calls++;
        counter.inFlight++;
        counter.maxInFlight = Math.max(counter.maxInFlight, counter.inFlight);
        // A real hash takes a while; this keeps parallel attempts overlapping on a fast machine too.
        await new Promise((resolve) => setTimeout(resolve, 20));
        return true;
      };
      try {
        return await (BaseUser.login as (...a: unknown[]) => Promise<number | null>).call(this, username, password, { ...options, beforeHash });
      } finally {
        if (checking) counter.inFlight--;
      }
    }
  }
  CountedUser.database = url;
  return { CountedUser, counter };
}

for (const engine of testEngines) {
  describe(`session attacks on ${engine}`, () => {
    let url: string;
    let db: Database;
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }

    before(async () => {
      url = await migratedDatabaseUrl(engine, sessionAuthApp);
      TestUser.database = url;
      db = await connect(parseDatabaseUrl(url));
      await TestUser.createUser({ username: "alice", password: "alice-pass1", email: "alice@example.com", admin: true, active: true });
      await TestUser.createUser({ username: "plain", password: "plain-pass1", email: "plain@example.com", active: true });
      await TestUser.createUser({ username: "sleeper", password: "sleeper-pass1", email: "s@example.com", admin: true, active: false });
    });
    after(async () => {
      await db.close();
    });

    /** A site on the auth, with the database-backed rate limit (the default) cleared first. */
    async function site(options: Parameters<typeof createSessionAuth>[0] = {}) {
      const auth = createSessionAuth({ userClass: TestUser, ...options });
      await auth.rateLimiter?.clear();
      const app = new Hono();
      app.route("/auth", auth.routes());
      app.get("/private", auth.guard(), (c) => c.text("private"));
      app.post("/private", auth.guard(), (c) => c.text("posted"));
      return { auth, app };
    }
    const browserFor = (app: Hono, address: string, origin = "http://localhost") =>
      new FakeBrowser((target, init) => app.request(target, init, { incoming: { socket: { remoteAddress: address } } }), origin);
    const statuses = (responses: Response[]) => {
      const counts: Record<number, number> = {};
      for (const response of responses) counts[response.status] = (counts[response.status] ?? 0) + 1;
      return counts;
    };

    test("1. 40 parallel logins for one username from one address: 5 hashes, 35 × 429, none succeeds", async () => {
      const { CountedUser, counter } = countingUserClass(url);
      const { app } = await site({ userClass: CountedUser });
      const browser = browserFor(app, "198.51.100.1");
      const sessionsBefore = (await db.kysely.selectFrom("sessions").select("id").execute()).length;
      await browser.get("/auth/login");
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => browser.postJson("/auth/login", { username: "alice", password: `wrong-${i}` })),
      );
      assert.deepEqual(statuses(answers), { 401: 5, 429: 35 });
      assert.equal(counter.calls, 5);
      assert.equal((await db.kysely.selectFrom("sessions").select("id").execute()).length, sessionsBefore);
      assert.ok(counter.maxInFlight >= 2, `the attempts overlapped (${counter.maxInFlight} at once)`);
      assert.ok(Number(answers.find((a) => a.status === 429)!.headers.get("retry-after")) > 0);
    });

    test("1. a burst of 100 parallel wrong logins for one user costs at most the limit's number of hashes", async () => {
      // From one address: the pair's 5.
      const one = countingUserClass(url);
      const { app } = await site({ userClass: one.CountedUser });
      const browser = browserFor(app, "198.51.100.2");
      await browser.get("/auth/login");
      await Promise.all(Array.from({ length: 100 }, () => browser.postJson("/auth/login", { username: "alice", password: "wrong" })));
      assert.equal(one.counter.calls, 5);
      // From 100 addresses: the username's 10 at once (the next waits a growing delay).
      const many = countingUserClass(url);
      const spread = await site({ userClass: many.CountedUser });
      const answers = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const b = browserFor(spread.app, `203.0.113.${i}`);
          await b.get("/auth/login");
          return b.postJson("/auth/login", { username: "alice", password: "wrong" });
        }),
      );
      assert.deepEqual(statuses(answers), { 401: 10, 429: 90 });
      assert.equal(many.counter.calls, 10);
      assert.ok(many.counter.maxInFlight >= 2);
    });

    test("1. 60 parallel logins with unknown usernames from one address: 20 hashes, then 429", async () => {
      const { CountedUser, counter } = countingUserClass(url);
      const { app } = await site({ userClass: CountedUser });
      const browser = browserFor(app, "198.51.100.3");
      await browser.get("/auth/login");
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) => browser.postJson("/auth/login", { username: `nobody${i}`, password: "wrong" })),
      );
      assert.deepEqual(statuses(answers), { 401: 20, 429: 40 });
      assert.equal(counter.calls, 20);
    });

    test("2. 5 failures from address A do not lock the right password out from address B", async () => {
      const { app } = await site();
      const attacker = browserFor(app, "192.0.2.66");
      await attacker.get("/auth/login");
      for (let i = 0; i < 5; i++) assert.equal((await attacker.postJson("/auth/login", { username: "alice", password: "x" })).status, 401);
      assert.equal((await attacker.postJson("/auth/login", { username: "alice", password: "alice-pass1" })).status, 429);
      const owner = browserFor(app, "192.0.2.77");
      await owner.get("/auth/login");
      assert.equal((await owner.postJson("/auth/login", { username: "alice", password: "alice-pass1" })).status, 200);
      // The counts live in the database: another auth (another process) on it sees the attacker's.
      const other = await (async () => {
        const auth = createSessionAuth({ userClass: TestUser });
        const a = new Hono();
        a.route("/auth", auth.routes());
        return a;
      })();
      const again = browserFor(other, "192.0.2.66");
      await again.get("/auth/login");
      assert.equal((await again.postJson("/auth/login", { username: "alice", password: "alice-pass1" })).status, 429);
    });

    test("2. a successful login gives its attempt back: successes never add up to a lock-out, failures do", async () => {
      const { app } = await site();
      const b = browserFor(app, "192.0.2.88");
      await b.get("/auth/login");
      for (let i = 0; i < 20; i++) assert.equal((await b.postJson("/auth/login", { username: "alice", password: "alice-pass1" })).status, 200);
      for (let i = 0; i < 4; i++) assert.equal((await b.postJson("/auth/login", { username: "alice", password: "typo" })).status, 401);
      assert.equal((await b.postJson("/auth/login", { username: "alice", password: "alice-pass1" })).status, 200);
      assert.equal((await b.postJson("/auth/login", { username: "alice", password: "typo" })).status, 401);
      assert.equal((await b.postJson("/auth/login", { username: "alice", password: "alice-pass1" })).status, 429);
      const rows = await db.kysely.selectFrom("login_attempts").select(["bucket", "attempts"]).execute();
      assert.ok(rows.length > 0 && rows.every((row) => !/alice|192\.0\.2/.test(String(row.bucket))), "keys are digests");
    });

    test("9. 300 bogus id= cookies cost one session query, not 300", async () => {
      let queries = 0;
      const counted: Database = {
        ...db,
        kysely: db.kysely.withPlugin({
          transformQuery: (args) => {
            queries++;
            return args.node;
          },
          transformResult: async (args) => args.result,
        }),
      };
      const { app } = await site({ store: { sessions: new SessionStore({ database: counted }) } });
      const owner = browserFor(app, "192.0.2.99");
      await owner.get("/auth/login");
      assert.equal((await owner.postJson("/auth/login", { username: "alice", password: "alice-pass1" })).status, 200);
      const real = owner.cookie("id")!;
      const bogus = Array.from({ length: 300 }, (_, i) => `id=${String(i).padStart(43, "A")}`);
      queries = 0;
      const response = await app.request("/private", { headers: { cookie: [...bogus, `id=${real}`].join("; ") } });
      assert.equal(response.status, 401); // the real one is beyond the cap of 3 cookies looked at
      assert.equal(queries, 1);
      queries = 0;
      const first = await app.request("/private", { headers: { cookie: [`id=${real}`, ...bogus].join("; ") } });
      assert.equal(first.status, 200);
      assert.equal(queries, 1);
    });

    test("8. CSRF: another scheme on the same host is another origin; several CSRF cookies are refused", async () => {
      const { app } = await site();
      const b = browserFor(app, "192.0.2.100");
      await b.get("/auth/login");
      assert.equal((await b.postJson("/auth/login", { username: "alice", password: "alice-pass1" })).status, 200);
      const https = await b.postForm("/private", {}, { headers: { origin: "https://localhost" } });
      assert.equal(https.status, 403);
      const port = await b.postForm("/private", {}, { headers: { origin: "http://localhost:8080" } });
      assert.equal(port.status, 403);
      assert.equal((await b.postForm("/private", {}, { headers: { origin: "http://localhost" } })).status, 200);
      // A second csrftoken cookie (planted for a narrower path) makes the token ambiguous, even when it matches one.
      const token = b.csrf();
      const planted = "P".repeat(43);
      const response = await app.request("/private", {
        method: "POST",
        headers: { cookie: `csrftoken=${planted}; csrftoken=${token}; id=${b.cookie("id")}`, "x-csrftoken": token },
      });
      assert.equal(response.status, 403);
      const alsoPlanted = await app.request("/private", {
        method: "POST",
        headers: { cookie: `csrftoken=${planted}; csrftoken=${token}; id=${b.cookie("id")}`, "x-csrftoken": planted },
      });
      assert.equal(alsoPlanted.status, 403);
    });

    test("4. DNS rebinding: a request naming another host is refused with 421 before any login", async () => {
      const { CountedUser, counter } = countingUserClass(url);
      const { app } = await site({ userClass: CountedUser });
      const rebound = await app.request("http://rebind.attacker.example/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json", origin: "http://rebind.attacker.example" },
        body: JSON.stringify({ username: "alice", password: "alice-pass1" }),
      });
      assert.equal(rebound.status, 421);
      assert.equal(counter.calls, 0);
      assert.equal((await app.request("http://rebind.attacker.example/auth/login")).status, 421);
      assert.equal((await app.request("http://127.0.0.1:8000/auth/login")).status, 200);
      const allowed = await site({ deployment: { allowedHosts: ["admin.example.com"] } });
      assert.equal((await allowed.app.request("http://admin.example.com/auth/login")).status, 200);
      assert.equal((await allowed.app.request("http://localhost/auth/login")).status, 421);
    });

    test("10. next=/\\x7fevil and other odd targets: a redirect within the site, one session, no 500", async () => {
      const { app } = await site();
      for (const [next, location] of [
        ["/\x7fevil", "/"],
        ["/é?q=ü", "/%C3%A9?q=%C3%BC"],
        ["/\u2028x", "/%E2%80%A8x"],
        ["//evil.example", "/"],
        ["/%", "/%"],
      ] as const) {
        await db.kysely.deleteFrom("sessions").execute();
        const b = browserFor(app, "192.0.2.110");
        await b.get("/auth/login");
        const response = await b.postForm("/auth/login", { username: "alice", password: "alice-pass1", next });
        assert.equal(response.status, 303, JSON.stringify(next));
        assert.equal(response.headers.get("location"), location);
        const rows = await db.kysely.selectFrom("sessions").select("id").execute();
        assert.equal(rows.length, 1);
      }
    });

    test("11. refused logins (inactive, not admin) write nothing: no last_login", async () => {
      const { app } = await site();
      for (const username of ["sleeper", "plain"]) {
        const b = browserFor(app, "192.0.2.120");
        await b.get("/auth/login");
        assert.equal((await b.postJson("/auth/login", { username, password: `${username}-pass1` })).status, 401);
        const row = await db.kysely.selectFrom("piccolo_user").select("last_login").where("username", "=", username).executeTakeFirstOrThrow();
        assert.equal(row.last_login, null, username);
      }
    });

    test("a busy hashing pool answers 503 with Retry-After, and costs no rate-limit attempt", async () => {
      class BusyUser extends BaseUser {
        static override async login(): Promise<number | null> {
          throw new PiccoloError("Too many password hashes are queued.", "BUSY");
        }
      }
      BusyUser.database = url;
      const { app } = await site({ userClass: BusyUser });
      const b = browserFor(app, "192.0.2.130");
      await b.get("/auth/login");
      for (let i = 0; i < 8; i++) {
        const response = await b.postJson("/auth/login", { username: "alice", password: "alice-pass1" });
        assert.equal(response.status, 503);
        assert.equal(response.headers.get("retry-after"), "5");
      }
      const form = await b.postForm("/auth/login", { username: "alice", password: "alice-pass1" });
      assert.equal(form.status, 503);
    });

    test("the database store decides as the memory store does: hard limits, the growing delay, refunds, pruning", async () => {
      for (const store of ["database", "memory"] as const) {
        let now = Date.UTC(2031, 0, 1);
        const limiter = new LoginRateLimiter({ store, database: url, now: () => now });
        await limiter.clear();
        const trace: unknown[] = [];
        const attempt = async (username: string, address: string) => {
          const decision = await limiter.begin(username, address);
          trace.push(decision.allowed ? "ok" : decision.retryAfter);
          return decision;
        };
        for (let i = 0; i < 10; i++) await attempt("dora", `10.7.0.${i}`);
        await attempt("dora", "10.7.1.1"); // waits 1 s
        now += 1000;
        await attempt("dora", "10.7.1.1");
        await attempt("dora", "10.7.1.2"); // waits 2 s
        now += 2000;
        const lucky = await attempt("dora", "10.7.1.2");
        if (lucky.allowed) await lucky.ticket.succeeded(); // given back: the next waits as the 13th again
        await attempt("dora", "10.7.1.3");
        for (let i = 0; i < 6; i++) await attempt("erin", "10.7.2.1"); // the pair's 5, then 15 minutes
        now += 15 * 60_000;
        await attempt("erin", "10.7.2.1"); // a new window
        assert.deepEqual(trace, [...Array(10).fill("ok"), 1, "ok", 2, "ok", "ok", ...Array(5).fill("ok"), 900, "ok"], store);
      }
      // Expired rows go as attempts come in (a new store sweeps on its first attempt).
      await db.kysely.insertInto("login_attempts").values({ bucket: "p:expired", attempts: 3, window_start: 1, expires_at: 2, holder: "x" }).execute();
      await new LoginRateLimiter({ store: "database", database: url }).begin("frank", "10.7.3.1");
      for (let i = 0; i < 50; i++) {
        const left = await db.kysely.selectFrom("login_attempts").select("bucket").where("bucket", "=", "p:expired").execute();
        if (left.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.deepEqual(await db.kysely.selectFrom("login_attempts").select("bucket").where("bucket", "=", "p:expired").execute(), []);
    });

    test("1. a current-password form (checkCurrentPassword) is limited like logins: a stolen session cannot guess fast", async () => {
      const { CountedUser, counter } = countingUserClass(url);
      const { app, auth } = await site({ userClass: CountedUser });
      app.post("/change", auth.guard(), async (c) => {
        const body = await c.req.parseBody();
        const check = await checkCurrentPassword(auth, c, getSessionUser(c)!, body.current);
        return check.ok ? c.text("ok") : c.text(check.message ?? "wrong", check.status);
      });
      const b = browserFor(app, "192.0.2.150");
      await b.get("/auth/login");
      assert.equal((await b.postJson("/auth/login", { username: "alice", password: "alice-pass1" })).status, 200);
      counter.calls = 0;
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => b.postForm("/change", { current: `guess-${i}` })));
      assert.deepEqual(statuses(answers), { 400: 5, 429: 7 });
      assert.equal(counter.calls, 5);
    });

    test("the memory store is still there for tests and single processes", async () => {
      await db.kysely.deleteFrom("login_attempts").execute();
      const { app } = await site({ rateLimit: new LoginRateLimiter({ store: "memory" }) });
      const b = browserFor(app, "192.0.2.140");
      await b.get("/auth/login");
      for (let i = 0; i < 5; i++) await b.postJson("/auth/login", { username: "alice", password: "x" });
      assert.equal((await b.postJson("/auth/login", { username: "alice", password: "alice-pass1" })).status, 429);
      const rows = await db.kysely.selectFrom("login_attempts").select("bucket").execute();
      assert.equal(rows.length, 0);
    });
  });
}
