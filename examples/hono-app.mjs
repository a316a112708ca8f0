// A Hono app with piccolo-ts sessions: a public home page, a login form, pages and an API that need a
// login, and the user admin under /admin.
//
//   (from a checkout of piccolo-ts, after npm ci; see examples/README.md)
//   npx piccolo migrations forwards all     # the piccolo_user, sessions and admin_history tables
//   npx piccolo user create                 # an active user (admin too, to use /admin)
//   node examples/hono-app.mjs              # then open http://127.0.0.1:3000/
//
// The database comes from DATABASE_URL, piccolo.config.* or ./piccolo.sqlite, as for the CLI.
import { pathToFileURL } from "node:url";
import { Hono } from "hono";
import { html } from "hono/html";
import { serve } from "@hono/node-server";
import { BaseUser } from "piccolo-ts";
import { createSessionAuth, getCsrfToken, getSessionUser } from "piccolo-ts/session";
import { createAdminApp } from "piccolo-ts/admin";

export function createApp({ userClass = BaseUser, ...sessionOptions } = {}) {
  const app = new Hono();

  // The admin brings its own session layer (active admins only, cookies scoped to /admin). Mounted
  // first, so its requests never reach the site's middleware below.
  app.route("/admin", createAdminApp({ userClass }));

  // The site's sessions. piccolo_api's default lets only admins log in; here any active user may.
  const auth = createSessionAuth({ userClass, access: { adminOnly: false, loginUrl: "/auth/login" }, ...sessionOptions });
  // Every request: c.get("sessionUser"), c.get("csrfToken"); every POST/PUT/PATCH/DELETE needs the token.
  app.use("*", auth.middleware());
  // GET and POST /auth/login (a form, or JSON), POST /auth/logout.
  app.route("/auth", auth.routes());

  app.get("/", (c) => {
    const user = getSessionUser(c);
    if (!user) return c.html(html`<h1>Welcome</h1><p><a href="/auth/login">Log in</a></p>`);
    return c.html(html`<h1>Welcome, ${user.username}</h1>
      <p><a href="/private">Your page</a></p>
      <form method="post" action="/auth/logout">
        <input type="hidden" name="csrftoken" value="${getCsrfToken(c)}">
        <button type="submit">Log out</button>
      </form>`);
  });

  // Only logged-in users; browsers are sent to /auth/login?next=/private first.
  app.get("/private", auth.guard(), (c) => c.html(html`<p>Only for ${getSessionUser(c).username}.</p>`));

  // A JSON API: scripts send the csrftoken cookie's value in the X-CSRFToken header.
  app.post("/api/notes", auth.guard(), async (c) => {
    const note = await c.req.json();
    return c.json({ saved: note, by: getSessionUser(c).username });
  });

  // Stricter rules for one route: admins only (403 for other logged-in users).
  app.get("/staff", auth.guard({ adminOnly: true }), (c) => c.text("Staff only."));

  return app;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3000);
  serve({ fetch: createApp().fetch, hostname: "127.0.0.1", port }, (info) => {
    console.log(`Listening on http://127.0.0.1:${info.port}/ (admin: /admin/)`);
  });
}
