// Issue 19, attack 2: a huge body (chunked, so no header announces its size) to any route of the session
// layer or the admin is answered 413 as soon as it passes the limit, and the server never holds more
// than the limit: its RSS, sampled by the server process itself, moves by less than 16 MiB for 64 MiB.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { closeDatabases } from "piccolo-ts";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { baseEnv, root } from "./support/cli.js";
import { send } from "./support/http.js";
import { sessionAuthApp } from "./support/internals.js";

const serverScript = new URL("./support/body-limit-server.js", import.meta.url).pathname;

const MiB = 1024 * 1024;
const HUGE = 64 * MiB;
const CSRF = "a".repeat(43); // a token the attacker made up, sent as cookie (and header where said)

after(async () => {
  await closeDatabases();
});

function startServer(url: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [serverScript], { cwd: root, env: baseEnv({ DATABASE_URL: url }), stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      const match = /listening on (\d+)/.exec(output);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.on("exit", (code) => reject(new Error(`the server exited (${code}): ${output}`)));
  });
}

interface HugeAnswer {
  status: number;
  /** Bytes of the body written when the answer came. */
  sentWhenAnswered: number;
}

/**
 * A chunked POST of up to 64 MiB, written as the socket takes it; stops writing once the answer comes.
 * On a keep-alive connection, as a browser sends it: with `Connection: close` the server would close the
 * socket right after its answer, and the unread body would reset it before the client read the answer.
 */
function postHuge(port: number, path: string, headers: Record<string, string>): Promise<HugeAnswer> {
  const chunk = Buffer.alloc(64 * 1024, "a");
  const agent = new http.Agent({ keepAlive: true });
  return new Promise<HugeAnswer>((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request({ host: "127.0.0.1", port, path, method: "POST", headers: { cookie: `csrftoken=${CSRF}`, ...headers }, agent }, (res) => {
      answered = true;
      const sentWhenAnswered = sent;
      res.resume();
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode!, sentWhenAnswered });
      });
    });
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    const write = () => {
      while (!answered && sent < HUGE) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", write);
      }
      if (!answered) req.end();
    };
    write();
  }).finally(() => agent.destroy());
}

async function rss(port: number): Promise<{ peak: number; now: number }> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: "/__peak", agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (part: string) => (body += part));
      res.on("end", () => resolve(JSON.parse(body) as { peak: number; now: number }));
    }).on("error", reject);
  });
}

const form = { "content-type": "application/x-www-form-urlencoded" };
const routes: [what: string, path: string, headers: Record<string, string>][] = [
  ["login, a form (read for its CSRF field)", "/auth/login", form],
  ["login, JSON with the token in the header (read by the route)", "/auth/login", { "content-type": "application/json", "x-csrftoken": CSRF }],
  ["logout, a form", "/auth/logout", form],
  ["logout, the token in the header and a body nobody needs", "/auth/logout", { "content-type": "application/octet-stream", "x-csrftoken": CSRF }],
  ["a POST under auth.middleware()", "/app/notes", form],
  ["a multipart POST under auth.guard()", "/guarded", { "content-type": "multipart/form-data; boundary=xyz" }],
  ["the admin's login", "/admin/login", form],
  ["the admin's logout", "/admin/logout", form],
];

for (const engine of testEngines) {
  describe(`request bodies are bounded on ${engine}`, () => {
    let server: { child: ChildProcess; port: number };
    before(async () => {
      server = await startServer(await migratedDatabaseUrl(engine, sessionAuthApp));
    });
    after(() => {
      server.child.kill("SIGTERM");
    });

    for (const [what, path, headers] of routes) {
      test(`64 MiB chunked to ${what}: 413 before the body ends, RSS +<16 MiB`, { timeout: 60_000 }, async () => {
        const before = await rss(server.port);
        const answer = await postHuge(server.port, path, { ...headers, "transfer-encoding": "chunked" });
        const after = await rss(server.port);
        const grew = Math.max(after.peak, after.now) - before.now;
        assert.ok(grew < 16 * MiB, `the server's RSS grew by ${(grew / MiB).toFixed(1)} MiB`);
        assert.equal(answer.status, 413);
        assert.ok(answer.sentWhenAnswered < HUGE, `answered only after all ${answer.sentWhenAnswered} bytes were sent`);
      });
    }

    test("a Content-Length over the limit is refused before any byte is read; a small form still works", { timeout: 60_000 }, async () => {
      const big = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          { host: "127.0.0.1", port: server.port, path: "/auth/login", method: "POST", agent: false, headers: { ...form, cookie: `csrftoken=${CSRF}`, "content-length": String(HUGE) } },
          (res) => {
            res.resume();
            req.destroy();
            resolve(res.statusCode!);
          },
        );
        req.on("error", reject);
        req.flushHeaders(); // no body at all: the answer cannot wait for it
      });
      assert.equal(big, 413);
      // Within the limit, chunked or not, the form is read and its CSRF field found.
      const body = `csrftoken=${CSRF}&note=${"n".repeat(60 * 1024)}`;
      for (const framing of [{ "content-length": String(body.length) }, { "transfer-encoding": "chunked" }] as Record<string, string>[]) {
        const small = await send(server.port, "/app/notes", { method: "POST", headers: { ...form, cookie: `csrftoken=${CSRF}`, ...framing }, body });
        assert.equal(small.status, 200, JSON.stringify(framing));
        assert.equal(small.body, "saved");
      }
    });
  });
}
