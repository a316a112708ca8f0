// The site the session tests share: four users (an active admin, a superuser, a plain active user and an
// inactive admin) and a Hono app on a session auth, with a browser per client address.
import { Hono } from "hono";
import { BaseUser } from "piccolo-ts";
import { createSessionAuth, getSessionUser } from "piccolo-ts/session";
import { FakeBrowser } from "./browser.js";

/** alice (active admin), boss (superuser), plain (active), sleeper (inactive admin); passwords `<name>-pass1`. */
export async function createSessionUsers(userClass: typeof BaseUser): Promise<Record<string, number>> {
  const ids: Record<string, number> = {};
  const make = async (username: string, flags: { active?: boolean; admin?: boolean; superuser?: boolean }) => {
    ids[username] = (await userClass.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, ...flags })).id;
  };
  await make("alice", { active: true, admin: true });
  await make("boss", { active: true, admin: true, superuser: true });
  await make("plain", { active: true });
  await make("sleeper", { active: false, admin: true });
  return ids;
}

/** A site on `createSessionAuth({ userClass, store: { now }, ...options })`: login routes, guarded pages, an open POST. */
export function makeSessionSite(userClass: typeof BaseUser, now: () => Date, options: Parameters<typeof createSessionAuth>[0] = {}) {
  const auth = createSessionAuth({ userClass, store: { now }, ...options });
  const app = new Hono();
  app.use("*", auth.middleware());
  app.route("/auth", auth.routes());
  app.get("/private", auth.guard(), (c) => c.json({ username: getSessionUser(c)?.username }));
  app.get("/su", auth.guard({ superuserOnly: true }), (c) => c.text("superuser area"));
  app.post("/private/action", auth.guard(), (c) => c.text("done"));
  app.post("/open", (c) => c.text("posted"));
  return { auth, app };
}

/** A browser on the app, its requests coming from `address`. */
export const sessionBrowser = (app: Hono, address = "10.0.0.1", origin = "http://localhost") =>
  new FakeBrowser((target, init) => app.request(target, init, { incoming: { socket: { remoteAddress: address } } }), origin);
