// The framework-neutral core (`auth.handler`, `auth.getSession`) through each adapter, with the real
// framework serving real requests: Express with its body parsers before the login routes and without
// them, Fastify, and plain node:http. For each: a JSON and a form login, CSRF refusals, the login rate
// limit, the body limit on a streamed body, and getSession on the headers afterwards.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import Fastify from "fastify";
import { BaseUser, closeDatabases, migrateForwards } from "piccolo-ts";
import { createSessionAuth, fastifySessionRoutes, LoginRateLimiter, toNodeHandler, type SessionAuth } from "piccolo-ts/session";
import { sessionAuthApp } from "./support/internals.js";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";
import { FakeBrowser } from "./support/browser.js";

after(async () => {
  await closeDatabases();
});

const BODY_LIMIT = 2048;

async function listen(listener: RequestListener): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Each adapter serving `auth`'s login routes under /auth. */
const servers: Record<string, (auth: SessionAuth) => Promise<{ origin: string; close(): Promise<void> }>> = {
  "Express, body parsers first": (auth) => {
    const app = express();
    app.use(express.urlencoded({ extended: false }), express.json());
    app.use("/auth", toNodeHandler(auth));
    return listen(app);
  },
  "Express, no body parser": (auth) => {
    const app = express();
    app.use("/auth", toNodeHandler(auth));
    return listen(app);
  },
  Fastify: async (auth) => {
    const app = Fastify();
    await app.register(fastifySessionRoutes(auth), { prefix: "/auth" });
    const origin = await app.listen({ port: 0, host: "127.0.0.1" });
    return { origin, close: () => app.close() };
  },
  "node:http": (auth) => listen(toNodeHandler(auth)),
};

for (const engine of testEngines) {
  describe(`the session adapters on ${engine}`, () => {
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }

    before(async () => {
      const url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      await migrateForwards(sessionAuthApp, { database: url });
      TestUser.database = url;
      await TestUser.createUser({ username: "walter", password: "walter-pass1", active: true });
    });

    for (const [name, serve] of Object.entries(servers)) {
      test(name, async () => {
        const limiter = new LoginRateLimiter({ store: "memory", pair: { max: 2, window: 60_000 } });
        const auth = createSessionAuth({ userClass: TestUser, access: { adminOnly: false }, rateLimit: limiter, bodyLimit: BODY_LIMIT });
        const { origin, close } = await serve(auth);
        try {
          const site = new FakeBrowser((target, init) => fetch(target, init), origin);
          const form = await site.get("/auth/login");
          assert.equal(form.status, 200);
          assert.match(await form.text(), /name="csrftoken"/);
          assert.ok(site.csrf(), "the login page handed out a CSRF cookie");

          // CSRF: no token, a wrong one, another origin.
          assert.equal((await site.postForm("/auth/login", { username: "walter", password: "walter-pass1" }, { csrf: false })).status, 403);
          assert.equal((await site.postJson("/auth/login", { username: "walter", password: "walter-pass1" }, { csrf: false, headers: { "x-csrftoken": "x".repeat(43) } })).status, 403);
          assert.equal((await site.postJson("/auth/login", { username: "walter", password: "walter-pass1" }, { headers: { origin: "http://evil.example" } })).status, 403);

          // A body past the limit: 413, streamed or re-encoded from what a parser read.
          const big = await site.postForm("/auth/login", { username: "walter", password: "x".repeat(BODY_LIMIT * 2) });
          assert.equal(big.status, 413, await big.clone().text());

          // A form login and a JSON login, then the session from the headers alone.
          const login = await site.postForm("/auth/login", { username: "walter", password: "walter-pass1", next: "/home" });
          assert.equal(login.status, 303);
          assert.equal(login.headers.get("location"), "/home");
          const cookie = site.cookieHeader("/");
          assert.equal((await auth.getSession({ host: new URL(origin).host, cookie }))?.username, "walter");
          assert.equal((await auth.getSession(new Headers({ host: "localhost", cookie }))) ?.username, "walter");
          assert.equal(await auth.getSession({ host: "localhost" }), null);
          const logout = await site.postJson("/auth/logout", {});
          assert.equal(logout.status, 200);
          assert.equal(await auth.getSession({ host: "localhost", cookie }), null, "the session ended server-side");
          const json = await site.postJson("/auth/login", { username: "walter", password: "walter-pass1" });
          assert.equal(json.status, 200);
          assert.equal(((await json.json()) as { user: { username: string } }).user.username, "walter");

          // The rate limit: two wrong passwords for the pair, then 429 with Retry-After, even for the right one.
          for (let i = 0; i < 2; i++) assert.equal((await site.postJson("/auth/login", { username: "walter", password: "wrong" })).status, 401);
          const limited = await site.postJson("/auth/login", { username: "walter", password: "walter-pass1" });
          assert.equal(limited.status, 429);
          assert.ok(Number(limited.headers.get("retry-after")) > 0);

          // Anything but the login routes is not theirs.
          assert.equal((await site.get("/auth/elsewhere")).status, 404);
        } finally {
          await close();
        }
      });
    }
  });
}
