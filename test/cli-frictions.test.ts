// What a new user met in the first hour (issue 23's frictions), as the command and the API now answer:
// `doctor` names the database and whether it answers; a URL missing its colon is refused; a script run
// from the wrong folder neither creates piccolo.sqlite nor fails on a table without naming the database;
// `piccolo admin` refuses to start without every table it uses and warns when nobody can log in; the
// second bin name; Ctrl-C's and usage mistakes' lines. On every engine where a database is involved.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { BaseUser, closeDatabases, migrateForwards } from "piccolo-ts";
import { freshDatabaseUrl, tempDir, testEngines } from "./support/engines.js";
import { baseEnv, bin, piccolo, root, type CliResult } from "./support/cli.js";

after(async () => {
  await closeDatabases();
});

const show = (result: CliResult) => `exit ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;

/** `piccolo admin --port 0` until it prints its address (or ends): what it printed, and how it ended. */
function startAdminCommand(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string; started: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args, "admin", "--port", "0"], { cwd, env: baseEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`piccolo admin neither started nor failed\n${stdout}\n${stderr}`));
    }, 60_000);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (/Piccolo admin at http:\/\/127\.0\.0\.1:\d+\//.test(stdout)) child.kill("SIGTERM");
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, started: /Piccolo admin at/.test(stdout) });
    });
  });
}

describe("piccolo doctor names the database it would use, and whether it answers", () => {
  for (const engine of testEngines) {
    test(`on ${engine}: text and --json`, async () => {
      const url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      const text = await piccolo(["--db", url, "doctor"]);
      assert.equal(text.code, 0, show(text));
      assert.match(text.stdout, new RegExp(`^Database: .+ \\(${engine}, from --db\\): it answers\\.$`, "m"));
      const json = await piccolo(["doctor", "--json"], { env: { DATABASE_URL: url } });
      assert.equal(json.code, 0, show(json));
      const { database } = JSON.parse(json.stdout) as { database: { engine: string; source: string; status: string } };
      assert.deepEqual([database.engine, database.source, database.status], [engine, "DATABASE_URL", "answers"]);
    });
  }

  test("a SQLite file not there yet (and none created), a server that does not answer, settings that are wrong", async () => {
    const cwd = tempDir();
    const missing = await piccolo(["doctor"], { cwd });
    assert.equal(missing.code, 0, show(missing));
    assert.match(missing.stdout, /^Database: .*piccolo\.sqlite \(sqlite, from the default: no --db, DATABASE_URL or piccolo\.config\.\* here\): no such file yet/m);
    assert.ok(!existsSync(path.join(cwd, "piccolo.sqlite")), "doctor created the database");
    const down = await piccolo(["doctor"], { cwd, env: { DATABASE_URL: "postgres://someone:hunter22@127.0.0.1:1/app" } });
    assert.equal(down.code, 0, show(down));
    assert.match(down.stdout, /^Database: postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/app \(postgres, from DATABASE_URL\): it does not answer: /m);
    assert.ok(!down.all.includes("hunter22"), "the password was printed");
    const wrong = await piccolo(["doctor", "--json"], { cwd, env: { DATABASE_URL: "postgres//localhost/app" } });
    assert.equal(wrong.code, 0, show(wrong));
    assert.equal((JSON.parse(wrong.stdout) as { database: { status: string } }).database.status, "fails");
  });
});

test("a database URL that lost its colon (postgres//…) is refused, not read as a SQLite path; the password stays masked", async () => {
  const cwd = tempDir();
  for (const [value, fixed] of [
    ["postgres//localhost/app", "postgres://localhost/app"],
    ["mysql//root:hunter22@127.0.0.1/app", "mysql://root:***@127.0.0.1/app"],
  ] as const) {
    const result = await piccolo(["user", "list"], { cwd, env: { DATABASE_URL: value } });
    assert.equal(result.code, 1, show(result));
    assert.ok(result.stderr.includes(`is missing the ":" after "${value.slice(0, value.indexOf("/"))}" (it would be read as a SQLite file path): write ${fixed}.`), result.stderr);
    assert.ok(!result.all.includes("hunter22"));
  }
  assert.ok(!existsSync(path.join(cwd, "postgres")), "nothing made at the path");
  // A folder of that name is still a path: only `word//` is taken for a URL missing its colon.
  const folder = await piccolo(["--db", "postgres/app.sqlite", "user", "list"], { cwd });
  assert.match(folder.stderr, /There is no database at .*postgres\/app\.sqlite/);
});

test("a script in the wrong folder: no piccolo.sqlite is created, the error names where it looked and what to run; migrating creates it", () => {
  const cwd = tempDir();
  const api = pathToFileURL(path.join(root, "dist/index.js")).href;
  const script = `
    const { BaseUser, migrateForwards, closeDatabases, ConfigError, TableMissingError } = await import(${JSON.stringify(api)});
    const out = {};
    try { await BaseUser.login("bob", "bob-pass1"); } catch (e) { out.login = [e.constructor.name, e.message]; }
    out.createdByLogin = (await import("node:fs")).existsSync("piccolo.sqlite");
    await migrateForwards("session_auth");
    try { await BaseUser.login("bob", "bob-pass1"); } catch (e) { out.table = [e.constructor.name, e.message, e.database]; }
    await closeDatabases();
    console.log(JSON.stringify(out));
  `;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd, env: baseEnv(), encoding: "utf8" });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  const out = JSON.parse(result.stdout) as { login: [string, string]; createdByLogin: boolean; table: [string, string, string] };
  const file = path.join(cwd, "piccolo.sqlite");
  assert.equal(out.login[0], "ConfigError");
  assert.ok(out.login[1].startsWith(`There is no database at ${file}, the default`), out.login[1]);
  assert.match(out.login[1], /run `npx piccolo migrations forwards all` in your project's folder/);
  assert.equal(out.createdByLogin, false, "the API created the default SQLite file");
  // migrateForwards made the file (its app's tables only): the next failure names the database.
  assert.deepEqual(out.table, ["TableMissingError", `The table piccolo_user does not exist in ${file}: run \`piccolo migrations forwards user\` first.`, file]);
});

describe("piccolo admin checks the database before it listens", () => {
  for (const engine of testEngines) {
    test(`on ${engine}: refuses while a table it uses is missing (naming the command), warns when nobody can log in`, async () => {
      const cwd = tempDir();
      const url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      await migrateForwards("session_auth", { database: url });
      const refused = await startAdminCommand(["--db", url], cwd);
      assert.equal(refused.started, false, refused.stdout);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /The admin needs the tables of admin_history, and 1 migration has not run there: run "piccolo migrations forwards admin_history", then start the admin again\.$/m);
      assert.doesNotMatch(refused.stderr, /^Warning/m, "the failure's advice is not repeated as a warning");

      await migrateForwards("admin_history", { database: url });
      class Staff extends BaseUser {}
      Staff.database = url;
      await Staff.createUser({ username: "idle", password: "idle-pass1", email: "idle@example.com", admin: true, active: false });
      const lonely = await startAdminCommand(["--db", url], cwd);
      assert.equal(lonely.started, true, lonely.stderr);
      assert.match(lonely.stderr, /^Warning: No active user has the admin flag, so nobody can log in yet: create one with "piccolo user create --is_admin=t --is_superuser=t --is_active=t"/m);
      await Staff.changePermissions("idle", { active: true });
      const ready = await startAdminCommand(["--db", url], cwd);
      assert.equal(ready.started, true, ready.stderr);
      assert.doesNotMatch(ready.stderr, /nobody can log in/);
    });
  }
});

test("two bin names, one command: piccolo and piccolo-ts (npx piccolo-ts works where `piccolo` is another package)", () => {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { bin: Record<string, string> };
  assert.deepEqual(Object.keys(manifest.bin), ["piccolo", "piccolo-ts"]);
  assert.equal(manifest.bin["piccolo-ts"], manifest.bin.piccolo);
});

test("usage mistakes: a flag without its value never takes the next flag; user check and import say their choices in --help", async () => {
  const cwd = tempDir();
  const eaten = await piccolo(["user", "change_permissions", "bob", "--admin", "--superuser=t"], { cwd });
  assert.equal(eaten.code, 2, show(eaten));
  assert.match(eaten.stderr, /^The command failed\. --admin was given without its value \(the next word, "--superuser=t", is another flag\)\. Give it a value, for example --admin=t/m);
  const dashValue = await piccolo(["--db", "--json", "user", "list"], { cwd });
  assert.equal(dashValue.code, 2, show(dashValue));
  assert.match(dashValue.stderr, /--db was given without its value/);
  const check = await piccolo(["user", "check", "--help"], { cwd });
  assert.match(check.stdout, /--strict/);
  assert.match(check.stdout, /Hashes imported by "piccolo user import" are listed but do not fail the check/);
});

test("the Hono example prints /admin/ as the admin's address, and /admin/ answers with the admin (a redirect)", async () => {
  const example = (await import(pathToFileURL(path.join(root, "examples/hono-app.mjs")).href)) as {
    createApp(): { request(path: string): Response | Promise<Response> };
  };
  assert.match(readFileSync(path.join(root, "examples/hono-app.mjs"), "utf8"), /\(admin: \/admin\/\)/);
  const response = await example.createApp().request("/admin/");
  assert.equal(response.status, 302);
  assert.equal(response.headers.get("location"), "/admin/users");
  assert.match(readFileSync(path.join(root, "examples/README.md"), "utf8"), /Run them from a checkout of piccolo-ts/);
});

test("package.json's dependencies are in npm's order, so an `npm install` in the checkout does not re-sort them", () => {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as Record<string, Record<string, string>>;
  for (const field of ["dependencies", "devDependencies"]) {
    const names = Object.keys(manifest[field]!);
    assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b, "en")), `${field} is not sorted as npm writes it`);
  }
});

test("failure lines end each sentence with a full stop, the driver's words included; Ctrl-C is no failure", async () => {
  const cwd = tempDir();
  const down = await piccolo(["--db", "postgres://someone@127.0.0.1:1/app", "user", "list"], { cwd });
  assert.equal(down.code, 1, show(down));
  assert.match(down.stderr, /\(connection refused\)\. Check that the database server is running/);
  const short = await piccolo(["--db", path.join(cwd, "none.sqlite"), "user", "create", "--username=x", "--password=abc"], { cwd });
  assert.match(short.stderr, /The password is too short\. \(min 6\)\. Choose another password\.$/m);
  const missing = await piccolo(["user", "list"], { cwd });
  assert.match(missing.stderr, /at your database\.$/m);
  for (const result of [down, short, missing]) assert.match(result.stderr.trimEnd(), /[.!?]["')]*$/, result.stderr);
});
