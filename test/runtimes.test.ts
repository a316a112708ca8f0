// piccolo-ts on Bun and Deno as on Node: the runtime matrix CI runs (bun and deno come from the npm registry
// as pinned devDependencies; test/support/runtimes.ts finds their binaries). Not the whole suite three
// times: one walk per runtime and engine (SQLite, PostgreSQL) through what a user does first, chosen to go
// through every path where the runtimes differ:
//
// - `migrations forwards user`, the README seed's `user create`, `user list` (the `piccolo` bin): the bin's
//   start-up (dist/cli/entry.cjs runs its bundle plainly there, without V8's code cache), the database
//   driver (bun:sqlite and node:sqlite behind the one SQLite dialect, through sqlite-bun.ts and
//   sqlite-node.ts; pg on PostgreSQL), DDL and migration records in a transaction, the hidden-password
//   prompt on a pipe, an INSERT … RETURNING and a listing;
// - `BaseUser.login`: the hash pool on the runtime's worker threads with the native addon (which now loads
//   there: hasherInfo says so) and an UPDATE of last_login; `loginSync`: its worker thread with
//   Atomics.wait and a second connection from inside a worker;
// - a session login through examples/hono-app.mjs (Hono's app.request): the session layer's cookies, CSRF,
//   the rate-limit counters and session rows, written by that runtime's driver;
// - `piccolo admin` answering its login page: @hono/node-server serving on the runtime's node:http;
// - a user created under each runtime logs in under the others on the same database (and the migration
//   records the runtimes write are the same): the same stored hash, file format and rows everywhere;
// - a taken username, a missing folder and a file that is not a database give Node's exact message: the
//   adapters give bun:sqlite's and node:sqlite's errors better-sqlite3's codes, which the dialect reads.
//
// The rest of the suite (SQL behaviour, limits, races) runs on Node: it goes through the same dialect and
// Kysely code, which the walk above reaches on each driver.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";
import { baseEnv, bin, root } from "./support/cli.js";
import { runtimeCommand, runtimeEnv, type RuntimeCommand, type RuntimeName } from "./support/runtimes.js";
import type { ProbeReport } from "./support/runtime-probe.js";

const ENGINES = testEngines.filter((engine) => engine === "sqlite" || engine === "postgres");
const RUNTIMES: RuntimeName[] = ["node", "bun", "deno"];
const PASSWORD = "bob-s3cret";

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `args` (a script and its arguments) on `runtime`, with `input` on stdin; rejects on a hang. */
function run(runtime: RuntimeCommand, args: string[], options: { input?: string; cwd?: string } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(runtime.command, [...runtime.args, ...args], {
      cwd: options.cwd ?? root,
      env: runtimeEnv(baseEnv()),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

const show = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

const LABEL: Record<RuntimeName, string> = { node: "Node.js", bun: "Bun", deno: "Deno" };

/** `piccolo admin` on `runtime`: waits for its address, fetches the login page, stops it. */
async function adminLoginPage(runtime: RuntimeCommand, url: string): Promise<{ status: number; body: string }> {
  const child = spawn(runtime.command, [...runtime.args, bin, "admin", "--db", url, "--port", "0"], {
    cwd: root,
    env: runtimeEnv(baseEnv()),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  try {
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`piccolo admin did not start on ${runtime.name}: ${output}`)), 60_000);
      const look = (chunk: Buffer) => {
        output += chunk.toString();
        const found = /Piccolo admin at (http:\/\/[^/\s]+)\//.exec(output)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      };
      child.stdout.on("data", look);
      child.stderr.on("data", look);
      child.on("exit", (code) => reject(new Error(`piccolo admin exited (${code}) on ${runtime.name}: ${output}`)));
    });
    const response = await fetch(`${address}/login`);
    return { status: response.status, body: await response.text() };
  } finally {
    child.kill("SIGTERM");
  }
}

const runtimes = {} as Record<RuntimeName, RuntimeCommand>;
/** The API walk (login, loginSync, a session login through the Hono example), run on each runtime. */
const probeFile = fileURLToPath(new URL("./support/runtime-probe.js", import.meta.url));

before(() => {
  for (const name of RUNTIMES) {
    const found = runtimeCommand(name);
    if (found instanceof Error) throw found; // never a skip: CI installs both with npm ci
    runtimes[name] = found;
  }
});

const SQLITE_DRIVER: Record<RuntimeName, string> = { node: "better-sqlite3", bun: "bun:sqlite", deno: "node:sqlite" };

for (const name of RUNTIMES) {
  test(`${name}: \`piccolo doctor\` names the runtime, its SQLite driver and the native addon (which links there)`, async () => {
    const doctor = await run(runtimes[name], [bin, "doctor", "--json"]);
    assert.equal(doctor.code, 0, show(doctor));
    const report = JSON.parse(doctor.stdout) as { sqliteDriver: string; hasher: { implementation: string; runtime: string } };
    assert.equal(report.sqliteDriver, SQLITE_DRIVER[name]);
    assert.equal(report.hasher.implementation, "native");
    assert.match(report.hasher.runtime, new RegExp(`^${LABEL[name]} ${runtimes[name].version.replace(/\./g, "\\.")}$`));
  });
}

for (const engine of ENGINES) {
  describe(`Node, Bun and Deno on ${engine}`, () => {
    let url: string;
    /** Username each runtime created (the seed's bob for Bun). */
    const created = { bun: "bob", deno: "dana", node: "nora" } satisfies Record<RuntimeName, string>;
    const migrationRecords: Partial<Record<RuntimeName, unknown>> = {};

    before(async () => {
      url = await freshDatabaseUrl(engine);
    });

    for (const name of ["bun", "deno"] as const) {
      test(`${name}: \`migrations forwards user\` on a database of its own writes the records Node writes`, async () => {
        const own = await freshDatabaseUrl(engine);
        const forwards = await run(runtimes[name], [bin, "migrations", "forwards", "user", "--db", own]);
        assert.equal(forwards.code, 0, show(forwards));
        assert.match(forwards.stdout, /Done: 3 migrations ran\./);
        // Read back by Node's driver: the same rows, whichever runtime and driver wrote them.
        const check = await run(runtimes.node, [bin, "migrations", "check", "--json", "--db", own]);
        assert.equal(check.code, 0, show(check));
        migrationRecords[name] = (JSON.parse(check.stdout) as { app: string; id: string; ran: boolean }[])
          .filter((row) => row.app === "user")
          .map(({ app, id, ran }) => ({ app, id, ran }));
        assert.deepEqual(migrationRecords[name], [
          { app: "user", id: "2019-11-14T21:52:21", ran: true },
          { app: "user", id: "2020-06-11T21:38:55", ran: true },
          { app: "user", id: "2021-04-30T16:14:15", ran: true },
        ]);
      });
    }

    test("on one database: each runtime migrates, creates a user with the README seed's line and lists them", async () => {
      for (const name of ["bun", "deno", "node"] as const) {
        const runtime = runtimes[name];
        // user first, as the README's Quick start; then the session and admin tables the Hono example needs.
        const forwards = await run(runtime, [bin, "migrations", "forwards", name === "bun" ? "user" : "all", "--db", url]);
        assert.equal(forwards.code, 0, `${name}: ${show(forwards)}`);
        const username = created[name];
        const create = await run(
          runtime,
          [bin, "user", "create", "--db", url, `--username=${username}`, `--email=${username}@example.com`, "--is_admin=t", "--is_superuser=f", "--is_active=t"],
          { input: `${PASSWORD}\n${PASSWORD}\n` },
        );
        assert.equal(create.code, 0, `${name}: ${show(create)}`);
        assert.match(create.stdout, /Created User \d+/);
        assert.doesNotMatch(create.stdout + create.stderr, new RegExp(`${PASSWORD}|pbkdf2_sha256`));
      }
      for (const name of ["bun", "deno"] as const) {
        const list = await run(runtimes[name], [bin, "user", "list", "--json", "--db", url]);
        assert.equal(list.code, 0, `${name}: ${show(list)}`);
        const users = JSON.parse(list.stdout) as { username: string; admin: boolean; active: boolean }[];
        assert.deepEqual(users.map((u) => u.username).sort(), ["bob", "dana", "nora"]);
        assert.ok(users.every((u) => u.admin && u.active));
        const text = await run(runtimes[name], [bin, "user", "list", "--db", url]);
        assert.equal(text.code, 0, `${name}: ${show(text)}`);
        assert.match(text.stdout, /^id\s+username\s+first_name/m);
      }
    });

    test("a taken username, and on SQLite a missing folder or a file that is not a database, read the same on every runtime", async () => {
      const attempts: string[][] = [[bin, "user", "create", "--db", url, "--username=bob", "--email=other@example.com", "--password=other-s3cret"]];
      if (engine === "sqlite") {
        const folder = path.dirname(url.replace(/^sqlite:/, ""));
        const notADatabase = path.join(folder, "not-a-database.sqlite");
        writeFileSync(notADatabase, "This is a text file, not a SQLite database: its header says so.\n".repeat(4));
        attempts.push([bin, "migrations", "forwards", "user", "--db", `sqlite:${path.join(folder, "missing-folder", "app.sqlite")}`]);
        attempts.push([bin, "user", "list", "--db", `sqlite:${notADatabase}`]);
      }
      for (const args of attempts) {
        const expected = await run(runtimes.node, args);
        assert.equal(expected.code, 1, show(expected));
        for (const name of ["bun", "deno"] as const) {
          const got = await run(runtimes[name], args);
          assert.deepEqual([got.code, got.stderr], [1, expected.stderr], `${name}, ${args.slice(1, 3).join(" ")}`);
        }
      }
    });

    for (const name of RUNTIMES) {
      test(`${name}: login, loginSync and a session login through the Hono example, for the users every runtime created`, async () => {
        const usernames = Object.values(created);
        const probe = await run(runtimes[name], [probeFile, JSON.stringify({ url, password: PASSWORD, usernames })]);
        assert.equal(probe.code, 0, show(probe));
        const report = JSON.parse(probe.stdout.trim().split("\n").at(-1)!) as ProbeReport;
        assert.match(report.runtime, new RegExp(`^${LABEL[name]} `));
        // The addon loads on every runtime now, and the pool's threads (the runtime's workers) hashed.
        assert.equal(report.implementation, "native");
        assert.ok(report.completed >= 2 * usernames.length, `the hash pool finished ${report.completed} hashes`);
        for (const username of usernames) {
          const result = report.results[username]!;
          assert.equal(typeof result.login, "number", `${username} cannot log in on ${name}`);
          assert.equal(result.loginSync, result.login);
          assert.equal(result.wrong, null);
          assert.equal(result.sessionStatus, 303, `${username}'s session login on ${name}`);
          assert.equal(result.privateStatus, 200);
          assert.match(result.privateText, new RegExp(`Only for ${username}\\.`));
        }
      });
    }

    for (const name of ["bun", "deno"] as const) {
      test(`${name}: \`piccolo admin\` serves its login page`, async () => {
        const page = await adminLoginPage(runtimes[name], url);
        assert.equal(page.status, 200);
        assert.match(page.body, /<title>Log in · Piccolo admin<\/title>/);
        assert.match(page.body, /name="csrftoken" value="[\w-]{20,}"/);
      });
    }
  });
}
