// A Fastify app with piccolo-ts sessions: the same site as hono-app.mjs. The login routes are a Fastify
// plugin (fastifySessionRoutes), the session middleware and guards are preHandler hooks
// (fastifySessionHook) that set request.sessionUser and request.csrfToken; the admin is a Hono app
// served for /admin/* through its fetch handler.
//
//   (from a checkout of piccolo-ts, after npm ci: Fastify is one of its dev dependencies; in your own
//   project, npm install piccolo-ts fastify)
//   npx piccolo migrations forwards all
//   npx piccolo user create
//   node examples/fastify-app.mjs           # then open http://127.0.0.1:3000/
import { pathToFileURL } from "node:url";
import Fastify from "fastify";
import { Hono } from "hono";
import { getRequestListener } from "@hono/node-server";
import { BaseUser } from "piccolo-ts";
import { createSessionAuth, fastifySessionHook, fastifySessionRoutes } from "piccolo-ts/session";
import { createAdminApp } from "piccolo-ts/admin";

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function createApp({ userClass = BaseUser, ...sessionOptions } = {}) {
  const app = Fastify();
  const auth = createSessionAuth({ userClass, access: { adminOnly: false, loginUrl: "/auth/login" }, ...sessionOptions });

  // The admin reads its own bodies: handed the raw request before Fastify parses anything.
  const admin = getRequestListener(new Hono().route("/admin", createAdminApp({ userClass })).fetch);
  app.addHook("onRequest", (request, reply, done) => {
    if (request.url !== "/admin" && !request.url.startsWith("/admin/")) return done();
    reply.hijack();
    admin(request.raw, reply.raw);
  });

  // GET/POST /auth/login, POST /auth/logout.
  await app.register(fastifySessionRoutes(auth), { prefix: "/auth" });

  // Every other request: request.sessionUser and request.csrfToken; every POST needs the token (the
  // X-CSRFToken header for JSON; forms need @fastify/formbody so the csrftoken field can be read).
  const session = fastifySessionHook(auth);
  const loggedIn = fastifySessionHook(auth, {});
  const staff = fastifySessionHook(auth, { adminOnly: true });

  app.get("/", { preHandler: session }, async (request, reply) => {
    reply.type("text/html");
    const user = request.sessionUser;
    if (!user) return `<h1>Welcome</h1><p><a href="/auth/login">Log in</a></p>`;
    return `<h1>Welcome, ${escape(user.username)}</h1>
      <p><a href="/private">Your page</a></p>
      <form method="post" action="/auth/logout">
        <input type="hidden" name="csrftoken" value="${escape(request.csrfToken)}">
        <button type="submit">Log out</button>
      </form>`;
  });

  app.get("/private", { preHandler: loggedIn }, async (request, reply) => {
    reply.type("text/html");
    return `<p>Only for ${escape(request.sessionUser.username)}.</p>`;
  });

  app.post("/api/notes", { preHandler: loggedIn }, async (request) => ({ saved: request.body, by: request.sessionUser.username }));

  app.get("/staff", { preHandler: staff }, async () => "Staff only.");

  return app;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3000);
  const app = await createApp();
  await app.listen({ port, host: "127.0.0.1" });
  console.log(`Listening on http://127.0.0.1:${port}/ (admin: /admin/)`);
}
