// A server for the body-limit test, in its own process so its memory is measured alone: the session
// routes, a route under auth.middleware(), one under auth.guard(), and the admin, on DATABASE_URL.
// It samples its own RSS every 5 ms; GET /__peak answers the highest since the last call, then starts over.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createSessionAuth } from "piccolo-ts/session";
import { createAdminApp } from "piccolo-ts/admin";
import { headAsGet } from "./internals.js";

const database = process.env.DATABASE_URL!;
let peak = process.memoryUsage.rss();
setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5).unref();

const auth = createSessionAuth({ database, access: { adminOnly: false } });
const app = new Hono();
app.get("/__peak", (c) => {
  const answer = c.json({ peak, now: process.memoryUsage.rss() });
  peak = process.memoryUsage.rss();
  return answer;
});
app.route("/auth", auth.routes());
app.use("/app/*", auth.middleware());
app.post("/app/notes", (c) => c.text("saved"));
app.post("/guarded", auth.guard(), (c) => c.text("saved"));
app.route("/admin", createAdminApp({ database }));
serve({ fetch: headAsGet(app.fetch), hostname: "127.0.0.1", port: 0 }, (info) => console.log(`listening on ${info.port}`));
