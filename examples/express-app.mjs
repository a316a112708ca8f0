// An Express app with piccolo-ts sessions: the same site as hono-app.mjs. The login routes are served by
// toNodeHandler(auth), which works before or after Express's body parsers (here after them); Express
// routes are protected with nodeGuard(). The admin is a Hono app, mounted as a Node request listener.
//
//   (from a checkout of piccolo-ts, after npm ci: Express is one of its dev dependencies; in your own
//   project, npm install piccolo-ts express)
//   npx piccolo migrations forwards all
//   npx piccolo user create
//   node examples/express-app.mjs           # then open http://127.0.0.1:3000/
import { pathToFileURL } from "node:url";
import express from "express";
import { getRequestListener } from "@hono/node-server";
import { BaseUser } from "piccolo-ts";
import { createSessionAuth, toNodeHandler } from "piccolo-ts/session";
import { createAdminApp } from "piccolo-ts/admin";

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function createApp({ userClass = BaseUser, ...sessionOptions } = {}) {
  const app = express();
  const auth = createSessionAuth({ userClass, access: { adminOnly: false, loginUrl: "/auth/login" }, ...sessionOptions });

  // The admin reads its request bodies itself: mount it before the body parsers. Express strips the
  // mount path from the URL; the admin finds it again in req.baseUrl.
  app.use("/admin", getRequestListener(createAdminApp({ userClass }).fetch));

  app.use(express.urlencoded({ extended: false }), express.json());
  // GET/POST /auth/login, POST /auth/logout: the parsed body is read from req.body.
  app.use("/auth", toNodeHandler(auth));
  // Every request: req.sessionUser and req.csrfToken (also in res.locals); every POST needs the token,
  // as the csrftoken form field (read from req.body) or the X-CSRFToken header.
  app.use(auth.nodeMiddleware());

  app.get("/", (req, res) => {
    const user = req.sessionUser;
    if (!user) return res.send(`<h1>Welcome</h1><p><a href="/auth/login">Log in</a></p>`);
    res.send(`<h1>Welcome, ${escape(user.username)}</h1>
      <p><a href="/private">Your page</a></p>
      <form method="post" action="/auth/logout">
        <input type="hidden" name="csrftoken" value="${escape(req.csrfToken)}">
        <button type="submit">Log out</button>
      </form>`);
  });

  app.get("/private", auth.nodeGuard(), (req, res) => res.send(`<p>Only for ${escape(req.sessionUser.username)}.</p>`));

  app.post("/api/notes", auth.nodeGuard(), (req, res) => res.json({ saved: req.body, by: req.sessionUser.username }));

  app.get("/staff", auth.nodeGuard({ adminOnly: true }), (req, res) => res.send("Staff only."));

  return app;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3000);
  createApp().listen(port, "127.0.0.1", () => {
    console.log(`Listening on http://127.0.0.1:${port}/ (admin: /admin/)`);
  });
}
