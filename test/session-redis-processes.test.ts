// Issue 24: examples/cluster-app.mjs served by 4 processes sharing one Redis (single and cluster) for
// sessions and login limits: a session made by one is valid in the others, and 100 parallel wrong logins
// for one account spread over the 4 let exactly the limit reach the password check. `piccolo admin --redis`
// fails at start, naming the URL with its password masked, when Redis does not answer.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { BaseUser, closeDatabases, migrateForwards } from "piccolo-ts";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";
import { piccolo } from "./support/cli.js";
import { startClusterExample, type ServedExample } from "./support/cluster-example.js";
import { redisTargets, redisUnavailable, testPrefix } from "./support/redis.js";

const engine = testEngines[0]!;

after(async () => {
  await closeDatabases();
});

type Served = ServedExample;


async function stop(served: Served): Promise<void> {
  if (served.child.exitCode !== null) return;
  const exited = new Promise((resolve) => served.child.once("exit", resolve));
  served.child.kill("SIGTERM");
  await exited;
}

function request(origin: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(new URL(path, origin), { method: options.method ?? "GET", headers: options.headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

let TOKEN = "";
/** A CSRF cookie and token from one server (any of them accepts it: the token is the cookie). */
async function csrf(origin: string): Promise<string> {
  const page = await request(origin, "/auth/login");
  const cookie = (page.headers["set-cookie"] ?? []).find((line) => line.startsWith("csrftoken="))!;
  return cookie.split(";")[0]!.slice("csrftoken=".length);
}
function login(origin: string, username: string, password: string) {
  return request(origin, "/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", cookie: `csrftoken=${TOKEN}`, "x-csrftoken": TOKEN },
    body: JSON.stringify({ username, password }),
  });
}

for (const target of redisTargets) {
  const skip = await redisUnavailable(target);
  describe(`4 processes sharing ${target.name} Redis (users on ${engine})`, { skip }, () => {
    let servers: Served[] = [];
    before(async () => {
      const url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      class TestUser extends BaseUser {
        static override iterations = 1000;
      }
      TestUser.database = url;
      for (const username of ["alice", "carol"]) await TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, active: true });
      // No session_auth migration: sessions and limits live in Redis only.
      const env = { DATABASE_URL: url, PICCOLO_REDIS_URL: target.url, PICCOLO_REDIS_PREFIX: testPrefix() };
      servers = await Promise.all([0, 1, 2, 3].map(() => startClusterExample(env)));
      TOKEN = await csrf(servers[0]!.origin);
    });
    after(async () => {
      await Promise.all(servers.map(stop));
    });

    test("a session made by one process is valid in the other three", async () => {
      const response = await login(servers[0]!.origin, "alice", "alice-pass1");
      assert.equal(response.status, 200, response.body);
      const session = (response.headers["set-cookie"] ?? []).find((line) => line.startsWith("id="))!.split(";")[0]!;
      for (const { origin } of servers.slice(1)) {
        const whoami = await request(origin, "/whoami", { headers: { cookie: session, accept: "application/json" } });
        assert.equal(whoami.status, 200);
        assert.equal(JSON.parse(whoami.body).username, "alice");
      }
    });

    test("100 parallel wrong logins for one account over the 4 processes: exactly 5 reach the password check", async () => {
      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => login(servers[i % 4]!.origin, "carol", "wrong-password")));
      const counts: Record<number, number> = {};
      for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
      assert.deepEqual(counts, { 401: 5, 429: 95 });
    });
  });
}

describe("piccolo admin --redis", () => {
  test("Redis unreachable at start: one line naming the URL, password masked, exit 1", async () => {
    const url = await freshDatabaseUrl("sqlite");
    await migrateForwards("user", { database: url });
    const result = await piccolo(["admin", "--port", "0", "--db", url.slice("sqlite:".length), "--redis", "redis://app:hunter2@127.0.0.1:1"], { timeoutMs: 20_000 });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Cannot connect to the database at redis:\/\/app:\*\*\*@127\.0\.0\.1:1: Redis did not answer \(connect ECONNREFUSED 127\.0\.0\.1:1\)\./);
    assert.ok(!result.all.includes("hunter2"));
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  });
});
