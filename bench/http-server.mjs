#!/usr/bin/env node
// The server of the HTTP load figures (bench/lib/http-load.mjs): the session layer's login and an
// authenticated GET on Hono, served by WORKERS processes sharing PORT through node:cluster (1: this
// process alone). Sessions and login attempts in the database (STORE=database, createSessionAuth's
// default) or in Redis (STORE=redis: the `store.redis` option, as src/session/store-choice.ts picks it).
// The rate limit stays on, with limits no bench run reaches, so its counter writes are measured too.
// Environment: DATABASE_URL, PORT, WORKERS (default 1), STORE (default database), REDIS_URL, REDIS_PREFIX.
import cluster from "node:cluster";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import * as pkg from "../dist/index.js";
import * as session from "../dist/session/index.js";

const workers = Number(process.env.WORKERS ?? 1);
const port = Number(process.env.PORT ?? 0);
const store = process.env.STORE ?? "database";

if (workers > 1 && cluster.isPrimary) {
  let ready = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on("message", (message) => {
      if (message === "listening" && ++ready === workers) console.log(`listening ${port}`);
    });
  }
  process.on("SIGTERM", () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGTERM");
  });
} else {
  const { BaseUser } = pkg;
  const { LoginRateLimiter, RedisAttemptStore, RedisConnection, createSessionAuth, getSessionUser } = session;
  class BenchUser extends BaseUser {
    static database = process.env.DATABASE_URL;
    static logger = { warn() {} };
  }
  const unreachable = { max: 1e9, window: 60 * 60_000 };
  const limits = { pair: unreachable, address: unreachable, username: { ...unreachable, free: 1e9, step: 0 } };
  let storeOptions;
  let redis;
  if (store === "redis") {
    redis = new RedisConnection(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    const prefix = process.env.REDIS_PREFIX ?? `bench:${process.pid}:`;
    storeOptions = { store: { redis, redisPrefix: prefix }, rateLimit: new LoginRateLimiter({ store: new RedisAttemptStore({ redis, prefix }), ...limits }) };
  } else {
    storeOptions = { rateLimit: new LoginRateLimiter({ store: "database", database: BenchUser.database, ...limits }) };
  }
  const auth = createSessionAuth({ userClass: BenchUser, access: { adminOnly: false }, ...storeOptions });
  const app = new Hono();
  app.use("*", auth.middleware());
  app.route("/auth", auth.routes());
  app.get("/me", auth.guard(), (c) => c.json({ id: getSessionUser(c).id }));
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, (info) => {
    if (cluster.isWorker) process.send?.("listening");
    else console.log(`listening ${info.port}`);
  });
  process.on("SIGTERM", () => {
    server.close();
    Promise.all([BaseUser.close(), redis?.close()]).finally(() => process.exit(0));
  });
}
