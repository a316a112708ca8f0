// A plain node:http server with piccolo-ts sessions, no framework: the same site as hono-app.mjs. The
// login routes are toNodeHandler(auth); every other request asks auth.getSession(request) for its user
// and checks the CSRF token through nodeMiddleware() before a POST is handled.
//
//   (from a checkout of piccolo-ts, after npm ci)
//   npx piccolo migrations forwards all
//   npx piccolo user create
//   node examples/node-http-app.mjs         # then open http://127.0.0.1:3000/
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { Hono } from "hono";
import { getRequestListener } from "@hono/node-server";
import { BaseUser } from "piccolo-ts";
import { createSessionAuth, toNodeHandler } from "piccolo-ts/session";
import { createAdminApp } from "piccolo-ts/admin";

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function send(res, status, body, type = "text/html; charset=utf-8") {
  res.writeHead(status, { "Content-Type": type }).end(body);
}

async function readJson(req) {
  let text = "";
  for await (const chunk of req) text += chunk;
  return JSON.parse(text || "null");
}

export function createApp({ userClass = BaseUser, ...sessionOptions } = {}) {
  const auth = createSessionAuth({ userClass, access: { adminOnly: false, loginUrl: "/auth/login" }, ...sessionOptions });
  const loginRoutes = toNodeHandler(auth);
  const admin = getRequestListener(new Hono().route("/admin", createAdminApp({ userClass })).fetch);
  // The session middleware (host check, CSRF, the user) in front of the site's own routes.
  const session = auth.nodeMiddleware();
  const guard = auth.nodeGuard();
  const staff = auth.nodeGuard({ adminOnly: true });

  const site = async (req, res) => {
    const path = new URL(req.url, "http://localhost").pathname;
    if (req.method === "GET" && path === "/") {
      // getSession works anywhere: it needs only the request's headers.
      const user = await auth.getSession(req.headers);
      if (!user) return send(res, 200, `<h1>Welcome</h1><p><a href="/auth/login">Log in</a></p>`);
      return send(res, 200, `<h1>Welcome, ${escape(user.username)}</h1>
        <p><a href="/private">Your page</a></p>
        <form method="post" action="/auth/logout">
          <input type="hidden" name="csrftoken" value="${escape(req.csrfToken)}">
          <button type="submit">Log out</button>
        </form>`);
    }
    if (req.method === "GET" && path === "/private") {
      return guard(req, res, () => send(res, 200, `<p>Only for ${escape(req.sessionUser.username)}.</p>`));
    }
    if (req.method === "POST" && path === "/api/notes") {
      return guard(req, res, async () => send(res, 200, JSON.stringify({ saved: await readJson(req), by: req.sessionUser.username }), "application/json"));
    }
    if (req.method === "GET" && path === "/staff") return staff(req, res, () => send(res, 200, "Staff only."));
    send(res, 404, "Not found");
  };

  return (req, res) => {
    if (req.url === "/admin" || req.url.startsWith("/admin/")) return admin(req, res);
    if (req.url.startsWith("/auth/")) return loginRoutes(req, res);
    session(req, res, (error) => (error ? send(res, 500, "Server error") : void site(req, res).catch(() => send(res, 500, "Server error"))));
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3000);
  createServer(createApp()).listen(port, "127.0.0.1", () => console.log(`Listening on http://127.0.0.1:${port}/ (admin: /admin/)`));
}
