// "The whole login path under load" (issue 24): POST /auth/login and an authenticated GET driven over
// HTTP by autocannon, from this process, against bench/http-server.mjs in another (1 process, or
// several sharing the port through node:cluster). autocannon rather than wrk: it is an npm dev
// dependency (no system package, no compiler), runs from the bench's own process, and its per-request
// hook varies the login's username and carries the CSRF pair.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const here = path.dirname(fileURLToPath(import.meta.url));
const serverScript = path.join(here, "..", "http-server.mjs");

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts the server child and resolves once every worker listens. */
async function startServer({ url, workers, store, redisUrl }) {
  const port = await freePort();
  // Keys of this run only (sessions expire by their TTL; the attempt counters by their window).
  const prefix = `bench:${process.pid}:${port}:`;
  const child = spawn(process.execPath, [serverScript], {
    env: { ...process.env, DATABASE_URL: url, PORT: String(port), WORKERS: String(workers), STORE: store, REDIS_URL: redisUrl, REDIS_PREFIX: prefix },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes("listening")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`bench/http-server.mjs ended (${code}) before listening`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      child.once("exit", resolve);
      child.kill("SIGTERM");
    });
  return { port, stop };
}

function run(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

function summary(result) {
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/** Headers of a JSON request that passes the session layer's CSRF check (double-submit and origin). */
function csrfHeaders(port) {
  const token = randomBytes(32).toString("base64url");
  return {
    "content-type": "application/json",
    accept: "application/json",
    origin: `http://127.0.0.1:${port}`,
    "x-csrftoken": token,
    cookie: `csrftoken=${token}`,
  };
}

/**
 * Requests/s, p50/p99 latency and errors of `POST /auth/login` (right passwords, the users in turn) and
 * of `GET /me` with a session cookie, `connections` in flight for `seconds` each.
 */
export async function httpLoad({ url, users, password, workers, store = "database", redisUrl = "redis://127.0.0.1:6379", seconds, connections = 16 }) {
  const server = await startServer({ url, workers, store, redisUrl });
  try {
    const headers = csrfHeaders(server.port);
    const base = `http://127.0.0.1:${server.port}`;
    let next = 0;
    const loginBody = () => JSON.stringify({ username: users[next++ % users.length], password });
    // One login to check the set-up and to get the session the GETs use.
    const first = await fetch(`${base}/auth/login`, { method: "POST", headers, body: loginBody() });
    if (first.status !== 200) throw new Error(`POST /auth/login answered ${first.status}: ${await first.text()}`);
    const session = first.headers.getSetCookie().map((c) => c.split(";")[0]).find((c) => !c.startsWith("csrftoken="));
    const login = await run({
      url: base,
      connections,
      duration: seconds,
      requests: [{ method: "POST", path: "/auth/login", headers, setupRequest: (request) => ({ ...request, body: loginBody() }) }],
    });
    const get = await run({ url: `${base}/me`, connections, duration: seconds, headers: { cookie: session, accept: "application/json" } });
    return { workers, store, connections, seconds, login: summary(login), get: summary(get) };
  } finally {
    await server.stop();
  }
}
