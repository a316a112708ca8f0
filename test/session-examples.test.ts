// The examples in examples/ run: Hono, Express (express.json() before the login routes), Fastify and
// plain node:http (express and fastify are devDependencies). The Express adapter (nodeMiddleware /
// nodeGuard) is also exercised on a bare node:http server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BaseUser, closeDatabases, migrateForwards } from "piccolo-ts";
import { createSessionAuth, type NodeMiddleware } from "piccolo-ts/session";
import { sessionAuthApp } from "./support/internals.js";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";
import { FakeBrowser } from "./support/browser.js";

const exampleUrl = (name: string) => new URL(`../../examples/${name}`, import.meta.url).href;

after(async () => {
  await closeDatabases();
});

async function listen(listener: RequestListener): Promise<{ server: Server; origin: string }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** What both example sites do, checked the same way. */
async function exerciseSite(site: FakeBrowser) {
  assert.match(await (await site.get("/")).text(), /href="\/auth\/login"/);
  const guarded = await site.get("/private");
  assert.equal(guarded.status, 303);
  assert.equal(guarded.headers.get("location"), "/auth/login?next=%2Fprivate");
  const form = await (await site.get("/auth/login?next=%2Fprivate")).text();
  assert.match(form, /<label for="username">/);
  // A plain active user may log into the site (adminOnly: false) …
  const login = await site.postForm("/auth/login?next=%2Fprivate", { username: "walter", password: "walter-pass1", next: "/private" });
  assert.equal(login.status, 303);
  assert.equal(login.headers.get("location"), "/private");
  assert.match(await (await site.get("/private")).text(), /Only for walter/);
  assert.match(await (await site.get("/")).text(), /Welcome, walter/);
  const note = await site.postJson("/api/notes", { text: "hi" });
  assert.equal(note.status, 200);
  assert.deepEqual(await note.json(), { saved: { text: "hi" }, by: "walter" });
  assert.equal((await site.postJson("/api/notes", { text: "forged" }, { csrf: false })).status, 403);
  assert.equal((await site.get("/staff")).status, 403);
  // … but not into the admin.
  const admin = await site.get("/admin/login");
  assert.match(await admin.text(), /action="\/admin\/login"/);
  const refused = await site.postForm("/admin/login", { username: "walter", password: "walter-pass1" });
  assert.equal(refused.status, 401);
  const logout = await site.postForm("/auth/logout", {});
  assert.equal(logout.status, 303);
  assert.equal(logout.headers.get("location"), "/auth/login");
  assert.equal((await site.get("/private")).status, 303);
}

for (const engine of testEngines) {
  describe(`examples and the Node adapter on ${engine}`, () => {
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }

    before(async () => {
      const url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      await migrateForwards(sessionAuthApp, { database: url });
      TestUser.database = url;
      await TestUser.createUser({ username: "walter", password: "walter-pass1", email: "walter@example.com", active: true });
      await TestUser.createUser({ username: "boss", password: "boss-pass1", email: "boss@example.com", active: true, admin: true });
    });

    test("examples/hono-app.mjs", async () => {
      const { createApp } = (await import(exampleUrl("hono-app.mjs"))) as { createApp(options: object): { request: (url: string, init: RequestInit, env?: unknown) => Promise<Response> } };
      const app = createApp({ userClass: TestUser });
      await exerciseSite(new FakeBrowser((target, init) => app.request(target, init)));
    });

    test(
      "examples/express-app.mjs",
      async () => {
        const { createApp } = (await import(exampleUrl("express-app.mjs"))) as { createApp(options: object): RequestListener };
        const { server, origin } = await listen(createApp({ userClass: TestUser }));
        try {
          await exerciseSite(new FakeBrowser((target, init) => fetch(target, init), origin));
        } finally {
          await stop(server);
        }
      },
    );

    test("examples/fastify-app.mjs", async () => {
      const { createApp } = (await import(exampleUrl("fastify-app.mjs"))) as {
        createApp(options: object): Promise<{ listen(options: { port: number; host: string }): Promise<string>; close(): Promise<void> }>;
      };
      const app = await createApp({ userClass: TestUser });
      const origin = await app.listen({ port: 0, host: "127.0.0.1" });
      try {
        await exerciseSite(new FakeBrowser((target, init) => fetch(target, init), origin));
      } finally {
        await app.close();
      }
    });

    test("examples/node-http-app.mjs", async () => {
      const { createApp } = (await import(exampleUrl("node-http-app.mjs"))) as { createApp(options: object): RequestListener };
      const { server, origin } = await listen(createApp({ userClass: TestUser }));
      try {
        await exerciseSite(new FakeBrowser((target, init) => fetch(target, init), origin));
      } finally {
        await stop(server);
      }
    });

    test("nodeMiddleware and nodeGuard on a bare node:http server (what Express does with them)", async () => {
      const auth = createSessionAuth({ userClass: TestUser, access: { adminOnly: false, loginUrl: "/auth/login" } });
      const loginRoutes = auth.routes();
      type Req = IncomingMessage & { body?: unknown; sessionUser?: { username: string } | null; csrfToken?: string; originalUrl?: string };
      type Handler = (req: Req, res: ServerResponse, next: (error?: unknown) => void) => void;
      const formParser: Handler = (req, _res, next) => {
        if (!(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) return next();
        let text = "";
        req.setEncoding("utf8");
        req.on("data", (chunk: string) => (text += chunk));
        req.on("end", () => {
          req.body = Object.fromEntries(new URLSearchParams(text));
          next();
        });
      };
      const route = (method: string, path: string, ...handlers: Handler[]): Handler => (req, res, next) => {
        if (req.method !== method || req.url !== path) return next();
        let i = 0;
        const step = (error?: unknown) => (error ? next(error) : i < handlers.length ? handlers[i++]!(req, res, step) : next());
        step();
      };
      const chain = (...handlers: Handler[]): RequestListener => (req, res) => {
        let i = 0;
        const next = (error?: unknown) => {
          if (error) return res.writeHead(500).end(String(error));
          const handler = handlers[i++];
          if (!handler) return res.writeHead(404).end();
          handler(req as Req, res, next);
        };
        next();
      };
      const { getRequestListener } = await import("@hono/node-server");
      const honoLogin = getRequestListener(loginRoutes.fetch);
      const { server, origin } = await listen(
        chain(
          (req, res, next) => (req.url?.startsWith("/auth/") ? ((req.url = req.url.slice(5)), void honoLogin(req, res)) : next()),
          formParser,
          auth.nodeMiddleware() as NodeMiddleware as Handler,
          route("GET", "/whoami", (req, res) => res.end(req.sessionUser?.username ?? "nobody")),
          route("GET", "/private", auth.nodeGuard() as NodeMiddleware as Handler, (req, res) => res.end(`private for ${req.sessionUser!.username}`)),
          route("GET", "/staff", auth.nodeGuard({ adminOnly: true }) as NodeMiddleware as Handler, (_req, res) => res.end("staff")),
          route("POST", "/form", (req, res) => res.end(`posted by ${req.sessionUser?.username ?? "nobody"}`)),
        ),
      );
      try {
        const site = new FakeBrowser((target, init) => fetch(target, init), origin);
        assert.equal(await (await site.get("/whoami")).text(), "nobody");
        assert.ok(site.csrf(), "the middleware handed out a CSRF cookie");
        const redirect = await site.get("/private");
        assert.equal(redirect.status, 303);
        assert.equal(redirect.headers.get("location"), "/auth/login?next=%2Fprivate");
        assert.equal((await site.request("/private", { headers: { accept: "application/json" } })).status, 401);
        assert.equal((await site.postForm("/auth/login", { username: "walter", password: "walter-pass1" })).status, 303);
        assert.equal(await (await site.get("/whoami")).text(), "walter");
        assert.equal(await (await site.get("/private")).text(), "private for walter");
        assert.equal((await site.get("/staff")).status, 403);
        // The token from the parsed form body, from the header, or missing.
        assert.equal(await (await site.postForm("/form", { note: "x" })).text(), "posted by walter");
        const header = await site.request("/form", { method: "POST", headers: { "x-csrftoken": site.csrf() } });
        assert.equal(await header.text(), "posted by walter");
        const forged = await site.postForm("/form", { note: "x" }, { csrf: false });
        assert.equal(forged.status, 403);
        assert.match(await forged.text(), /CSRF/);
        assert.equal((await site.postForm("/auth/login", { username: "boss", password: "boss-pass1" })).status, 303);
        assert.equal(await (await site.get("/staff")).text(), "staff");
      } finally {
        await stop(server);
      }
    });
  });
}
