// One app served by several processes with node:cluster: the workers share the port, and everything
// that must hold across them lives in the database — sessions (any worker accepts a session another
// made) and the login rate limit (the login_attempts table counts the attempts of every worker together).
//
//   DATABASE_URL=postgres://… npx piccolo migrations forwards all
//   DATABASE_URL=postgres://… WORKERS=4 PORT=3000 node examples/cluster-app.mjs
//   PICCOLO_REDIS_URL=redis://127.0.0.1:6379 DATABASE_URL=… node examples/cluster-app.mjs   # sessions and limits in Redis
//
// WORKERS=1 serves from this one process (no cluster); every answer names the serving process in
// an `X-Served-By` header, so you can see the requests spread.
import cluster from "node:cluster";
import { pathToFileURL } from "node:url";
import { Hono } from "hono";
import { serve } from "@hono/node-server";
import { BaseUser } from "piccolo-ts";
import { createSessionAuth, getSessionUser } from "piccolo-ts/session";

export function createApp({ userClass = BaseUser, ...sessionOptions } = {}) {
  const app = new Hono();
  app.use("*", async (c, next) => {
    await next();
    c.header("X-Served-By", String(process.pid));
  });
  // The defaults are what makes this work across processes: sessions in `sessions`, login attempts in
  // `login_attempts`, both in the database every worker opens.
  const auth = createSessionAuth({ userClass, access: { adminOnly: false, loginUrl: "/auth/login" }, ...sessionOptions });
  app.use("*", auth.middleware());
  app.route("/auth", auth.routes());
  app.get("/whoami", auth.guard(), (c) => c.json({ username: getSessionUser(c).username, pid: process.pid }));
  return app;
}

function serveHere(port, host) {
  // PICCOLO_REDIS_URL moves sessions and login attempts to Redis (redis://… or redis+cluster://…).
  const redis = process.env.PICCOLO_REDIS_URL ? { store: { redis: process.env.PICCOLO_REDIS_URL, redisPrefix: process.env.PICCOLO_REDIS_PREFIX } } : {};
  const server = serve({ fetch: createApp(redis).fetch, hostname: host, port }, (info) => {
    console.log(`worker ${process.pid} listening on http://${host}:${info.port}/`);
  });
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const workers = Number(process.env.WORKERS ?? 4);
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? "127.0.0.1";
  if (workers > 1 && cluster.isPrimary) {
    for (let i = 0; i < workers; i++) cluster.fork();
    cluster.on("exit", (worker, code, signal) => {
      if (!stopping) console.error(`worker ${worker.process.pid} ended (${signal ?? code})`);
    });
    let stopping = false;
    process.on("SIGTERM", () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGTERM");
      process.exitCode = 0;
    });
    console.log(`primary ${process.pid}: ${workers} workers on http://${host}:${port}/`);
  } else {
    serveHere(port, host);
  }
}
