// What a new user meets in their first hour with the `piccolo` command: every exit code in docs/cli.md's
// table, read-only commands that never create a database, paging that says there is more, hints whose
// examples fit the flag, tables aligned around emoji joined with zero-width joiners, and piped answers to
// `user create` that stop at the first refused one (with its reason) instead of shifting into the next
// question. The interactive re-asking is in cli-pty.test.ts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { BaseUser, closeDatabases } from "piccolo-ts";
import { tempDir } from "./support/engines.js";
import { baseEnv, bin, piccolo, root, type CliResult } from "./support/cli.js";

const show = (r: CliResult) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

/** A migrated SQLite database in a new folder; `users` created through the API. */
async function migratedFolder(users: { username: string; email: string }[] = []): Promise<{ cwd: string; url: string }> {
  const cwd = tempDir();
  const url = `sqlite:${path.join(cwd, "piccolo.sqlite")}`;
  const migrated = await piccolo(["migrations", "forwards", "user"], { cwd });
  assert.equal(migrated.code, 0, show(migrated));
  class Seed extends BaseUser {
    static override iterations = 1_000; // fixtures: only the rows matter here
  }
  Seed.database = url;
  for (const user of users) await Seed.createUser({ ...user, password: "fixture-pass-1", active: true });
  await closeDatabases();
  return { cwd, url };
}

/** The exit codes the table of docs/cli.md lists, in its order. */
function readmeExitCodes(): number[] {
  const readme = readFileSync(path.join(root, "docs/cli.md"), "utf8");
  const table = readme.slice(readme.indexOf("| exit code | meaning |"));
  const lines = table.split("\n").slice(2);
  const rows = lines.slice(0, lines.findIndex((line) => !line.startsWith("|")));
  return rows.map((line) => Number(/^\|\s*(\d+)/.exec(line)?.[1]));
}

describe("exit codes: each one in the table of docs/cli.md, produced", () => {
  test("docs/cli.md lists 0, 1, 2 and 130", () => {
    assert.deepEqual(readmeExitCodes(), [0, 1, 2, 130]);
  });

  test("0: done; 1: the command failed", async () => {
    const { cwd } = await migratedFolder([{ username: "ann", email: "ann@example.com" }]);
    const ok = await piccolo(["user", "list"], { cwd });
    assert.equal(ok.code, 0, show(ok));
    const failed = await piccolo(["user", "change_permissions", "nobody", "--admin=t"], { cwd });
    assert.equal(failed.code, 1, show(failed));
  });

  test("2: a bad flag value, including the ones Piccolo's own rules refuse (limit, page, order_by, iterations)", async () => {
    const { cwd } = await migratedFolder();
    for (const args of [
      ["user", "list", "--limit=0"],
      ["user", "list", "--limit=-3"],
      ["user", "list", "--page=0"],
      ["user", "list", "--order_by=password"],
      ["user", "list", "--order_by=-password"],
      ["user", "list", "--limit=many"],
      ["user", "check", "--iterations=0"],
      ["user", "create", "--is_admin=maybe"],
      ["user", "lsit"],
      ["user", "list", "--colour"],
    ]) {
      const result = await piccolo(args, { cwd });
      assert.equal(result.code, 2, `${args.join(" ")}: ${show(result)}`);
      assert.match(result.stderr, /^The command failed\. /, args.join(" "));
    }
    const json = await piccolo(["user", "list", "--order_by=password", "--json"], { cwd });
    assert.equal(json.code, 2);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, "USAGE");
  });

  test("130: Ctrl-C (SIGINT) while a question waits for its answer", async () => {
    const { url } = await migratedFolder();
    const child = spawn(process.execPath, [bin, "--db", url, "user", "create"], { env: baseEnv(), stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    const asked = new Promise<void>((resolve) => {
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk;
        if (stderr.includes("Enter username")) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await asked; // standard input stays open: the command is waiting for the answer
    child.kill("SIGINT");
    assert.equal(await exited, 130, stderr);
  });
});

describe("read-only commands never create a database", () => {
  test("user list, user check, change_permissions, change_password, user create: no piccolo.sqlite left behind, and where it looked", async () => {
    const cwd = tempDir();
    for (const args of [
      ["user", "list"],
      ["user", "ls", "--json"],
      ["user", "check"],
      ["user", "change_permissions", "bob", "--admin=t"],
      ["user", "change_password", "bob", "--password=new-pass-1"],
      ["user", "create", "--username=bob", "--email=bob@example.com", "--password=bob-pass-1", "--is_admin=f", "--is_superuser=f", "--is_active=t"],
    ]) {
      const result = await piccolo(args, { cwd });
      assert.equal(result.code, 1, `${args.join(" ")}: ${show(result)}`);
      assert.equal(
        result.stderr.trimEnd().split("\n").at(-1),
        `The command failed. There is no database at ${path.join(cwd, "piccolo.sqlite")} (the default, as neither --db, DATABASE_URL nor a piccolo.config.* in this folder names one). Create it with "piccolo migrations forwards user", or point --db, DATABASE_URL or piccolo.config.* at your database.`,
        args.join(" "),
      );
      assert.ok(!existsSync(path.join(cwd, "piccolo.sqlite")), `${args.join(" ")} created piccolo.sqlite`);
    }
    const viaFlag = await piccolo(["--db", "elsewhere.sqlite", "user", "list"], { cwd });
    assert.match(viaFlag.stderr, /There is no database at .*elsewhere\.sqlite \(given by --db\)\./);
    const viaEnv = await piccolo(["user", "list"], { cwd, env: { DATABASE_URL: "sqlite:env.sqlite" } });
    assert.match(viaEnv.stderr, /There is no database at .*env\.sqlite \(given by DATABASE_URL\)\./);
    assert.ok(!existsSync(path.join(cwd, "elsewhere.sqlite")) && !existsSync(path.join(cwd, "env.sqlite")));
  });

  test("migrations check and backwards answer that nothing ran, without creating the file; forwards creates it", async () => {
    const cwd = tempDir();
    const check = await piccolo(["migrations", "check", "user"], { cwd });
    assert.equal(check.code, 0, show(check));
    assert.match(check.stdout, /3 not yet run/);
    assert.match(check.stderr, /There is no database at .*piccolo\.sqlite .*: nothing has run there yet\./);
    const back = await piccolo(["migrations", "backwards", "user", "--yes"], { cwd });
    assert.equal(back.code, 0, show(back));
    assert.match(back.stdout, /No migrations to reverse for user/);
    assert.ok(!existsSync(path.join(cwd, "piccolo.sqlite")));
    const forwards = await piccolo(["migrations", "forwards", "user"], { cwd });
    assert.equal(forwards.code, 0, show(forwards));
    assert.ok(existsSync(path.join(cwd, "piccolo.sqlite")));
  });
});

describe("user list pages", () => {
  test("says which page it shows and how to see the next one, only when there is more than one page", async () => {
    const users = Array.from({ length: 5 }, (_, i) => ({ username: `user${i + 1}`, email: `user${i + 1}@example.com` }));
    const { cwd } = await migratedFolder(users);
    const first = await piccolo(["user", "list", "--limit=2"], { cwd });
    assert.equal(first.code, 0, show(first));
    assert.equal(first.stdout.trimEnd().split("\n").length, 4, "header, rule and two users on stdout");
    assert.equal(first.stderr, "page 1 of 3 (5 users) — --page=2 for more\n");
    const last = await piccolo(["user", "list", "--limit=2", "--page=3"], { cwd });
    assert.equal(last.stderr, "page 3 of 3 (5 users)\n");
    const past = await piccolo(["user", "list", "--limit=2", "--page=7"], { cwd });
    assert.equal(past.stdout, "No data\n");
    assert.equal(past.stderr, "Page 7 is past the last page: there are 5 users on 3 pages of 2.\n");
    const all = await piccolo(["user", "list"], { cwd });
    assert.equal(all.stderr, "", "one page: nothing to add");
    const json = await piccolo(["user", "list", "--limit=2", "--json"], { cwd });
    assert.equal(json.stderr, "");
    assert.equal((JSON.parse(json.stdout) as unknown[]).length, 2);
  });
});

describe("hints show a value that fits the flag", () => {
  test("a wrong or missing value: --port=8000, --limit=20, --page=2, --iterations=600000, --is_admin=t", async () => {
    const { cwd } = await migratedFolder();
    for (const [args, example] of [
      [["admin", "--port=abc"], "--port=8000"],
      [["admin", "--port"], "--port=8000"],
      [["user", "list", "--limit=ten"], "--limit=20"],
      [["user", "list", "--page=x"], "--page=2"],
      [["user", "list", "--page"], "--page=2"],
      [["user", "list", "--order_by"], "--order_by=-last_login"],
      [["user", "list", "--order_by=password"], "--order_by=-last_login"],
      [["user", "check", "--iterations=lots"], "--iterations=600000"],
      [["user", "create", "--is_admin"], "--is_admin=t"],
      [["migrations", "forwards", "user", "--migration_id"], "--migration_id=2021-04-30T16:14:15"],
    ] as const) {
      const result = await piccolo([...args], { cwd });
      assert.equal(result.code, 2, `${args.join(" ")}: ${show(result)}`);
      assert.ok(result.stderr.includes(`example ${example}`), `${args.join(" ")} should suggest ${example}: ${result.stderr}`);
    }
  });
});

describe("tables align around wide text", () => {
  test("an emoji joined with zero-width joiners is one wide character: the next column stays aligned", async () => {
    const family = "👩‍👩‍👧‍👦"; // four emoji joined by three U+200D: one two-column glyph
    const flag = "🏳️‍🌈";
    const { cwd } = await migratedFolder([
      { username: "ab", email: "ab@example.com" },
      { username: family, email: "family@example.com" },
      { username: `${flag}x`, email: "flag@example.com" },
      { username: "漢", email: "wide@example.com" },
    ]);
    const result = await piccolo(["user", "list", "--order_by=id"], { cwd });
    assert.equal(result.code, 0, show(result));
    const lines = result.stdout.trimEnd().split("\n");
    // ab, the family and 漢 are 2 columns wide, the flag and x 3: the padding after each must follow.
    const after = (name: string, email: string) => {
      const line = lines.find((l) => l.includes(email))!;
      return line.slice(line.indexOf(name) + name.length, line.indexOf(email));
    };
    const reference = after("ab", "ab@example.com");
    assert.equal(after(family, "family@example.com"), reference, result.stdout);
    assert.equal(after("漢", "wide@example.com"), reference, result.stdout);
    assert.equal(after(`${flag}x`, "flag@example.com"), reference.slice(1), result.stdout);
  });
});

describe("user create with piped answers", () => {
  test("stops at the first refused answer with its reason, before the later questions (no answer shifts)", async () => {
    const { url } = await migratedFolder([{ username: "taken", email: "" }]);
    const cases: [string, string, RegExp][] = [
      ["taken\n", "Enter username", /The username "taken" is already taken\./],
      ["newbie\n\n", "Enter email", /Another user already has no email address, and emails must be unique: give this user an email\./],
      ["newbie\nnew@example.com\nshort\n", "Enter password", /The password is too short\. \(min 6\)/],
      ["newbie\nnew@example.com\nlong-enough-1\nlong-enough-2\n", "Confirm password", /Passwords don't match!/],
    ];
    for (const [input, lastQuestion, reason] of cases) {
      const result = await piccolo(["--db", url, "user", "create"], { input: `${input}y\nn\ny\n` });
      // A refused piped answer is a mistake in the input, like one in the command line: exit 2.
      assert.equal(result.code, 2, show(result));
      assert.match(result.stderr, new RegExp(`The piped answer to "${lastQuestion}[^"]*" was refused, and nothing was changed`));
      assert.match(result.stderr, reason);
      const questions = result.stderr.split("\n").filter((line) => /^(Enter|Confirm|Admin|Superuser|Active)/.test(line));
      assert.ok(questions.at(-1)?.startsWith(lastQuestion), `stopped after ${lastQuestion}: ${result.stderr}`);
      assert.equal(questions.filter((q) => q.startsWith(lastQuestion)).length, 1, "not asked again from a pipe");
    }
    class Check extends BaseUser {}
    Check.database = url;
    assert.equal(await Check.countUsers(), 1, "nothing was created");
    await closeDatabases();
  });
});
