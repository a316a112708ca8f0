// Issue 10, "Several processes": examples/cluster-app.mjs served by 4 processes on one database.
// Sessions made by one are valid in the others, and the login rate limit counts all of them together.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { BaseUser, closeDatabases, migrateForwards } from "piccolo-ts";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";
import { baseEnv, root } from "./support/cli.js";
import { sessionAuthApp } from "./support/internals.js";

const example = new URL("../../examples/cluster-app.mjs", import.meta.url).pathname;

after(async () => {
  await closeDatabases();
});

interface Served {
  child: ChildProcess;
  origins: string[];
}

/** Starts the example; resolves once `listeners` processes said where they listen. */
function startExample(url: string, workers: number, listeners: number): Promise<Served> {
  const child = spawn(process.execPath, [example], {
    cwd: root,
    env: baseEnv({ DATABASE_URL: url, WORKERS: String(workers), PORT: "0" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    const origins: string[] = [];
    let output = "";
    const timer = setTimeout(() => reject(new Error(`the example did not start: ${output}`)), 30_000);
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      for (const match of chunk.matchAll(/listening on (http:\/\/[\d.]+:\d+)\//g)) origins.push(match[1]!);
      if (origins.length >= listeners) {
        clearTimeout(timer);
        resolve({ child, origins });
      }
    });
    child.on("exit", (code) => reject(new Error(`the example exited (${code}): ${output}`)));
  });
}

async function stopExample(served: Served): Promise<void> {
  if (served.child.exitCode !== null) return;
  const exited = new Promise((resolve) => served.child.once("exit", resolve));
  served.child.kill("SIGTERM");
  await exited;
}

/** One request on a new connection (so node:cluster may hand it to any worker). */
function request(
  origin: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, origin), { method: options.method ?? "GET", headers: options.headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A CSRF cookie and token from one server (any of them accepts it: the token is the cookie). */
async function csrf(origin: string): Promise<string> {
  const page = await request(origin, "/auth/login");
  const cookie = (page.headers["set-cookie"] ?? []).find((line) => line.startsWith("csrftoken="))!;
  return cookie.split(";")[0]!.slice("csrftoken=".length);
}

async function login(origin: string, token: string, username: string, password: string) {
  return request(origin, "/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", cookie: `csrftoken=${token}`, "x-csrftoken": token },
    body: JSON.stringify({ username, password }),
  });
}

for (const engine of testEngines) {
  describe(`4 processes on one ${engine} database`, () => {
    let url: string;
    let separate: Served[] = [];

    before(async () => {
      url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      await migrateForwards(sessionAuthApp, { database: url });
      class TestUser extends BaseUser {}
      TestUser.database = url;
      for (const username of ["alice", "bob", "carol"]) {
        await TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, active: true });
      }
      separate = await Promise.all([0, 1, 2, 3].map(() => startExample(url, 1, 1)));
    });
    after(async () => {
      await Promise.all(separate.map(stopExample));
    });
    const origins = () => separate.map((served) => served.origins[0]!);

    test("a session made by one process is valid in the other three", async () => {
      const [first, ...others] = origins();
      const token = await csrf(first!);
      const response = await login(first!, token, "alice", "alice-pass1");
      assert.equal(response.status, 200);
      const session = (response.headers["set-cookie"] ?? []).find((line) => line.startsWith("id="))!.split(";")[0]!;
      const pids = new Set<string>();
      for (const origin of others) {
        const whoami = await request(origin, "/whoami", { headers: { cookie: session, accept: "application/json" } });
        assert.equal(whoami.status, 200, origin);
        assert.equal(JSON.parse(whoami.body).username, "alice");
        pids.add(String(whoami.headers["x-served-by"]));
      }
      assert.equal(pids.size, 3);
    });

    test("5 failures in total, spread over the 4 processes, trigger the limit", async () => {
      const all = origins();
      const token = await csrf(all[0]!);
      const answers: number[] = [];
      for (let i = 0; i < 7; i++) answers.push((await login(all[i % 4]!, token, "bob", "wrong-password")).status);
      assert.deepEqual(answers, [401, 401, 401, 401, 401, 429, 429]);
      // The right password waits too, on every process.
      for (const origin of all) assert.equal((await login(origin, token, "bob", "bob-pass1")).status, 429);
    });

    test("20 parallel wrong logins spread over the 4 processes: 5 reach the password check in total, 15 × 429", async () => {
      const all = origins();
      const token = await csrf(all[0]!);
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => login(all[i % 4]!, token, "carol", "wrong-password")));
      const counts: Record<number, number> = {};
      for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
      assert.deepEqual(counts, { 401: 5, 429: 15 });
    });

    test("the node:cluster example: 4 workers on one port share sessions and limits", async () => {
      const served = await startExample(url, 4, 4);
      try {
        const origin = served.origins[0]!;
        const token = await csrf(origin);
        const response = await login(origin, token, "alice", "alice-pass1");
        assert.equal(response.status, 200);
        const session = (response.headers["set-cookie"] ?? []).find((line) => line.startsWith("id="))!.split(";")[0]!;
        const pids = new Set<string>();
        for (let i = 0; i < 16; i++) {
          const whoami = await request(origin, "/whoami", { headers: { cookie: session, accept: "application/json" } });
          assert.equal(whoami.status, 200);
          pids.add(String(whoami.headers["x-served-by"]));
        }
        assert.ok(pids.size >= 2, `served by ${pids.size} workers`);
        // Each attempt on a new connection, so on whichever worker the primary picks.
        const answers: number[] = [];
        for (let i = 0; i < 6; i++) answers.push((await login(origin, token, "nobody", "wrong-password")).status);
        assert.deepEqual(answers, [401, 401, 401, 401, 401, 429]);
      } finally {
        await stopExample(served);
      }
    });
  });
}
