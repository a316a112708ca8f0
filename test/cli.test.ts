// The `piccolo user …` commands, driven as a separate process (the built dist/cli/main.js) on every
// engine, through --db and through DATABASE_URL: every command and alias, every flag spelling, the
// piped-stdin path, --json, and every failure with its exit code and one-line message.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { BaseUser, closeDatabases, migrateForwards } from "piccolo-ts";
import { freshDatabaseUrl, tempDir, testEngines } from "./support/engines.js";
import { boundTo, piccolo, root, type CliOptions, type CliResult } from "./support/cli.js";

/** Every password any test hands to the CLI: none of them may ever be printed. */
const PASSWORDS = [
  "bob123",
  "carol-pass",
  "dave-env-pass",
  "secret1",
  "secret2",
  "erin-s3cret",
  "frank-new-1",
  "frank-new-2",
  "frank-new-3",
  "frank-new-4",
  "abc",
  "hunter2-typed",
  "frank-old-1",
  "hank-pass",
  "zoe-pass",
  "zed-pass",
];
const outputs: CliResult[] = [];

type Run = (args: string[], options?: CliOptions) => Promise<CliResult>;
const recorded =
  (run: Run): Run =>
  async (args, options) => {
    const result = await run(args, options);
    outputs.push(result);
    return result;
  };

function show(result: CliResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

function assertOk(result: CliResult): void {
  assert.equal(result.code, 0, show(result));
}

/** Exit `code`, and a last stderr line that starts with Piccolo's phrase and holds every fragment. */
function assertFailure(result: CliResult, code: number, ...fragments: string[]): string {
  assert.equal(result.code, code, show(result));
  const last = result.stderr.trimEnd().split("\n").at(-1) ?? "";
  assert.match(last, /^The command failed\. \S/, show(result));
  for (const fragment of fragments) assert.ok(last.includes(fragment), `"${fragment}" missing in: ${last}`);
  assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
  return last;
}

interface JsonUser {
  id: number;
  username: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  active: boolean;
  admin: boolean;
  superuser: boolean;
  lastLogin: string | null;
}

after(async () => {
  await closeDatabases();
});

// The engines run side by side; every test has a database of its own, set up with what it needs (so one
// failure does not cascade into the tests after it).
describe("piccolo user … on every engine", { concurrency: testEngines.length }, () => {
  for (const engine of testEngines) {
    describe(`piccolo user … on ${engine}`, { concurrency: 1 }, () => {
      // Logins go through the library with the default iteration count, so a stored hash is never rewritten.
      class Checker extends BaseUser {}
      // Fixture users: cheap hashes, the CLI only reads them.
      class Fixture extends BaseUser {
        static override iterations = 1000;
      }
      let url: string;
      let run: Run; // --db
      let runEnv: Run; // DATABASE_URL
      const list = async (): Promise<JsonUser[]> => {
        const result = await run(["user", "list", "--json", "--limit=100"]);
        assertOk(result);
        return JSON.parse(result.stdout) as JsonUser[];
      };
      const find = async (username: string) => (await list()).find((user) => user.username === username);
      const login = async (username: string, password: string) => {
        Checker.database = url;
        return Checker.login(username, password);
      };

      /** A new database for one test: migrated (unless told otherwise), holding `users`. */
      async function setUp(options: { migrated?: boolean; users?: Parameters<typeof Fixture.createUser>[0][] } = {}): Promise<void> {
        url = await freshDatabaseUrl(engine);
        run = recorded(boundTo(url, "--db"));
        runEnv = recorded(boundTo(url, "DATABASE_URL"));
        Fixture.database = url;
        if (options.migrated === false) return;
        await migrateForwards("user", { database: url });
        for (const user of options.users ?? []) await Fixture.createUser(user);
      }

      test("before the migrations: a warning, then the user table is missing (exit 1)", async () => {
        await setUp({ migrated: false });
        // An existing but empty database (a missing SQLite file is refused before: cli-first-hour.test.ts).
        if (engine === "sqlite") writeFileSync(url.replace(/^sqlite:/, ""), "");
        for (const [runner, args] of [
          [run, ["user", "list"]],
          [runEnv, ["user", "create", "--username=bob", "--password=bob123"]],
          [run, ["user", "change_permissions", "bob", "--admin=t"]],
          [runEnv, ["user", "change_password", "bob", "--password=bob123"]],
        ] as const) {
          const result = await runner([...args]);
          assertFailure(result, 1, "piccolo_user", "run `piccolo migrations forwards user` first");
          // Said once, by the failure (which names the database): no warning repeating the same advice.
          assert.doesNotMatch(result.stderr, /^Warning:/m);
          if (engine === "sqlite") assert.ok(result.stderr.includes(`does not exist in ${url.replace(/^sqlite:/, "")}:`), result.stderr);
        }
      });

      test("migrations forwards user (through DATABASE_URL), then an empty list says No data", async () => {
        await setUp({ migrated: false });
        assertOk(await runEnv(["migrations", "forwards", "user"]));
        const empty = await run(["user", "list"]);
        assertOk(empty);
        assert.equal(empty.stdout, "No data\n");
        assert.equal(empty.stderr, "", "no warning once the migrations ran");
        const json = await runEnv(["user", "ls", "--json"]);
        assertOk(json);
        assert.deepEqual(JSON.parse(json.stdout), []);
      });

      test("create with Piccolo's flags, verbatim: no questions, Created User <id>", async () => {
        await setUp();
        const result = await run([
          "user",
          "create",
          "--username=bob",
          "--password=bob123",
          "--email=foo@bar.com",
          "--is_admin=t",
          "--is_superuser=t",
          "--is_active=t",
        ]);
        assertOk(result);
        assert.match(result.stdout, /^Created User \d+\n$/);
        assert.equal(result.stderr, "", "nothing asked");
        const bob = await find("bob");
        assert.ok(bob);
        assert.equal(`Created User ${bob.id}\n`, result.stdout);
        assert.deepEqual([bob.email, bob.admin, bob.superuser, bob.active], ["foo@bar.com", true, true, true]);
      });

      test("create: alias new, kebab-case flags, --password-stdin and --json", async () => {
        await setUp();
        const result = await run(
          ["user", "new", "--username", "carol", "--email=carol@example.com", "--password-stdin", "--is-admin=yes", "--is-superuser=N", "--is-active=1", "--json"],
          { input: "carol-pass\n" },
        );
        assertOk(result);
        const user = JSON.parse(result.stdout) as JsonUser & { password?: unknown };
        assert.equal(user.username, "carol");
        assert.deepEqual([user.admin, user.superuser, user.active], [true, false, true]);
        assert.equal(user.lastLogin, null);
        assert.equal("password" in user, false);
        assert.equal(await login("carol", "carol-pass"), user.id);
      });

      test("create: PICCOLO_USER_PASSWORD, through DATABASE_URL, booleans in any spelling", async () => {
        await setUp();
        const result = await runEnv(
          ["user", "create", "--username=dave", "--email=dave@example.com", "--is_admin=False", "--is_superuser=f", "--is_active=TRUE"],
          { env: { PICCOLO_USER_PASSWORD: "dave-env-pass" } },
        );
        assertOk(result);
        const dave = await find("dave");
        assert.deepEqual([dave?.admin, dave?.superuser, dave?.active], [false, false, true]);
        assert.equal(await login("dave", "dave-env-pass"), dave?.id);
      });

      test("create from piped answers: Piccolo's questions in order; y/n take the flags' words; a refused answer ends it (exit 2)", async () => {
        await setUp();
        // The exact input: `yes` is an answer (as --is_admin=yes is), so nothing shifts.
        const zed = await run(["user", "create", "--json"], { input: "zed\nzed@x.com\nzed-pass\nzed-pass\nyes\nn\ny\ny\n" });
        assertOk(zed);
        assert.deepEqual((({ admin, superuser, active }) => [admin, superuser, active])(JSON.parse(zed.stdout) as JsonUser), [true, false, true]);
        assert.doesNotMatch(zed.stderr, /Unrecognised option/);
        const result = await run(["user", "create"], { input: "erin\nerin@example.com\nsecret1\nsecret1\nTrue\nfalse\n1\n" });
        assertOk(result);
        assert.match(result.stdout, /^Created User \d+\n$/);
        const login = userInfo().username;
        assert.deepEqual(result.stderr.split("\n"), [
          `Enter username (${login}):`,
          "Enter email:",
          "Enter password:",
          "Confirm password:",
          "Admin user? Enter y or n:",
          "Superuser? Enter y or n:",
          "Active? Enter y or n:",
          "",
        ]);
        const erin = await find("erin");
        assert.deepEqual([erin?.email, erin?.admin, erin?.superuser, erin?.active], ["erin@example.com", true, false, true]);
        // A word no flag takes: asked again on a terminal, but from a pipe the next line belongs to the next question.
        const refused = await run(["user", "create"], { input: "ivy\nivy@example.com\nsecret1\nsecret1\nmaybe\ny\nn\ny\n" });
        assertFailure(refused, 2, 'The piped answer to "Admin user? Enter y or n:" was refused, and nothing was changed: "maybe" is not y or n');
        assert.doesNotMatch(refused.stderr, /Superuser\?/);
        assert.equal(await find("ivy"), undefined, "nothing created");
      });

      test("create: an empty username answer takes the OS login name; only missing values are asked", async () => {
        await setUp();
        const result = await runEnv(["user", "create", "--is_admin=n", "--is_superuser=n"], {
          input: "\nlogin@example.com\nerin-s3cret\nerin-s3cret\nn\n",
        });
        assertOk(result);
        assert.doesNotMatch(result.stderr, /Admin user\?|Superuser\?/);
        assert.match(result.stderr, /Active\? Enter y or n:/);
        const user = await find(userInfo().username);
        assert.deepEqual([user?.email, user?.active], ["login@example.com", false]);
      });

      test("create: every failure, one line on stderr, exit 1 (user error) or 2 (usage error)", async () => {
        await setUp({ users: [{ username: "bob", password: "bob123", email: "foo@bar.com" }] });
        const cases: [string[], CliOptions, number, string[]][] = [
          [["--username=bob", "--password=bob123", "--email=other@example.com"], {}, 1, ['The username "bob" is already taken.']],
          [["--username=bob2", "--password=bob123", "--email=foo@bar.com", "--is_admin=t", "--is_superuser=t", "--is_active=t"], {}, 1, ['The email "foo@bar.com" is already taken.']],
          [[], { input: "gina\ngina@example.com\nsecret1\nsecret2\n" }, 2, ["Passwords don't match!"]],
          [["--username=gina", "--password=abc"], {}, 1, ["The password is too short. (min 6)"]],
          [["--username=gina", `--password=${"x".repeat(129)}`], {}, 1, ["The password is too long. (max 128)"]],
          [["--username=gina", "--password-stdin"], { input: "pbkdf2_sha256$600000$abc$def\n" }, 1, ["Do not pass a hashed password."]],
          [["--username=gina"], { input: "gina@example.com\n\n" }, 2, ["A password must be provided."]],
          [["--username=gina", "--password=abcdefgh", "--email=notanemail"], {}, 1, ['"notanemail" is not an email address']],
          [["--username=gina"], { input: "notanemail\n" }, 2, ['"notanemail" is not an email address']],
          [["--username=gina", "--is_admin", "--is_superuser=t"], {}, 2, ['--is_admin was given without its value (the next word, "--is_superuser=t", is another flag).', "--is_admin=t"]],
          [[], { input: "gina\n" }, 1, ['Standard input ended before "Enter email:" was answered.']],
          [["--username=gina", "--password-stdin"], {}, 1, ["--password-stdin was given, but standard input is empty."]],
          [["--username=gina", "--password=abcdefgh", "--password-stdin"], { input: "abcdefgh\n" }, 2, ["--password and --password-stdin were both given."]],
          [["--is_admin=maybe"], {}, 2, ['--is_admin="maybe" is not a boolean.', "t, true"]],
          [["--is-superuser=nope"], {}, 2, ['--is-superuser="nope" is not a boolean.']],
          [["--is_active"], {}, 2, ["--is_active"]],
          [["--usrname=gina"], {}, 2, ["--usrname", "--username", 'Run "piccolo user create --help"']],
        ];
        for (const [args, options, code, fragments] of cases) {
          assertFailure(await run(["user", "create", ...args], options), code, ...fragments);
        }
        assert.equal(await find("gina"), undefined);
        assert.equal(await find("bob2"), undefined);
      });

      test("change_password and its aliases (password, pass, change-password)", async () => {
        await setUp();
        await Fixture.createUser({ username: "frank", password: "frank-old-1", email: "frank@example.com" });
        let result = await run(["user", "change_password"], { input: "frank\nfrank-new-1\nfrank-new-1\n" });
        assertOk(result);
        assert.equal(result.stdout.split("\n")[0], "Updated password for frank");
        // The password questions name whose password it is.
        assert.deepEqual(result.stderr.split("\n").slice(0, 3), ["Enter username:", "Enter password for frank:", "Confirm password for frank:"]);
        result = await runEnv(["user", "password", "frank", "--password-stdin"], { input: "frank-new-2\n" });
        assertOk(result);
        assert.equal(result.stderr, "");
        result = await run(["user", "pass", "frank"], { env: { PICCOLO_USER_PASSWORD: "frank-new-3" } });
        assertOk(result);
        result = await run(["user", "change-password", "frank", "--password=frank-new-4"]);
        assertOk(result);
        assert.equal(await login("frank", "frank-new-4"), (await find("frank"))?.id);

        assertFailure(await run(["user", "pass", "nobody", "--password=frank-new-1"]), 1, "User nobody doesn't exist!");
        assertFailure(await run(["user", "pass"], { input: "nobody\n" }), 1, "User nobody doesn't exist!");
        assertFailure(await run(["user", "pass", "frank"], { input: "secret1\nsecret2\n" }), 2, "Passwords don't match!");
        assertFailure(await run(["user", "pass", "frank", "--password=abc"]), 1, "The password is too short. (min 6)");
        assertFailure(await run(["user", "pass", "frank"]), 1, 'Standard input ended before "Enter password for frank:" was answered.');
        assert.equal(await login("frank", "frank-new-4"), (await find("frank"))?.id, "still the last good password");
      });

      test("change_permissions and its aliases (perm, perms, change-permissions)", async () => {
        await setUp();
        await Fixture.createUser({ username: "hank", password: "hank-pass", email: "hank@example.com" });
        let result = await run(["user", "change_permissions", "hank", "--admin=t", "--superuser=True", "--active=yes"]);
        assertOk(result);
        assert.equal(result.stdout, "Updated permissions for hank\n");
        let hank = await find("hank");
        assert.deepEqual([hank?.admin, hank?.superuser, hank?.active], [true, true, true]);
        assertOk(await runEnv(["user", "perm", "hank", "--admin=f"]));
        assertOk(await run(["user", "perms", "hank", "--is_superuser=0"]));
        assertOk(await run(["user", "change-permissions", "hank", "--is-active=n"]));
        hank = await find("hank");
        assert.deepEqual([hank?.admin, hank?.superuser, hank?.active], [false, false, false]);

        // No flag: a usage mistake a script must notice (Piccolo exits 0 here).
        assertFailure(await run(["user", "perms", "hank"]), 2, "No changes detected", "--admin=t");
        assertFailure(await run(["user", "perms", "nobody", "--admin=t"]), 1, "User nobody doesn't exist!");
        assertFailure(await run(["user", "perms", "hank", "--admin=sometimes"]), 2, '--admin="sometimes" is not a boolean.');
        assertFailure(await run(["user", "perms"]), 2, "Missing required argument 'username'");
      });

      test("list: Piccolo's columns as an aligned table, alias ls, paging, order, --json, errors", async () => {
        await setUp({
          users: [
            { username: "bob", password: "bob123", email: "foo@bar.com", admin: true, superuser: true, active: true },
            { username: "carol", password: "carol-pass", email: "carol@example.com", admin: true, active: true },
            { username: "dave", password: "dave-env-pass", email: "dave@example.com", active: true },
            { username: "erin", password: "erin-s3cret", email: "erin@example.com", admin: true, active: true },
            { username: "zoe", password: "zoe-pass", email: "zoe@example.com", firstName: "Zoë", lastName: "Z" },
          ],
        });
        assert.equal(typeof (await login("carol", "carol-pass")), "number");
        const all = await list();
        let result = await run(["user", "list"]);
        assertOk(result);
        const lines = result.stdout.trimEnd().split("\n");
        assert.match(lines[0]!, /^id +username +first_name +last_name +email +active +admin +superuser +last_login$/);
        assert.match(lines[1]!, /^-+( +-+){8}$/);
        assert.equal(lines.length, 2 + all.length);
        // Aligned: every column starts where its header does.
        const start = lines[0]!.indexOf("email");
        const zoeLine = lines.find((line) => line.includes(" zoe "))!;
        assert.equal(zoeLine.indexOf("zoe@example.com"), start);
        assert.match(zoeLine, /Zoë +Z +zoe@example\.com/);
        // Default order: username.
        const usernames = lines.slice(2).map((line) => line.split(/ +/)[1]);
        assert.deepEqual(usernames, all.map((u) => u.username).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));

        result = await runEnv(["user", "ls", "--limit=2", "--page=2", "--order_by=-id", "--json"]);
        assertOk(result);
        const byIdDesc = [...all].sort((a, b) => b.id - a.id);
        assert.deepEqual((JSON.parse(result.stdout) as JsonUser[]).map((u) => u.id), byIdDesc.slice(2, 4).map((u) => u.id));
        result = await run(["user", "list", "--limit", "1", "--order-by=email", "--json"]);
        assertOk(result);
        assert.deepEqual((JSON.parse(result.stdout) as JsonUser[]).map((u) => u.email), [all.map((u) => u.email).sort()[0]]);
        result = await run(["user", "list", "--page=99"]);
        assertOk(result);
        assert.equal(result.stdout, "No data\n");
        // carol's login shows in last_login.
        const carol = all.find((u) => u.username === "carol");
        assert.ok(carol?.lastLogin, "login sets last_login");

        assertFailure(await run(["user", "list", "--limit=0"]), 2, "The limit number must be > 0.");
        assertFailure(await run(["user", "list", "--page=0"]), 2, "The page number must > 0.");
        assertFailure(await run(["user", "list", "--order_by=password"]), 2, "The order_by argument must be one of the following: id, username,");
        assertFailure(await run(["user", "list", "--limit=many"]), 2, '--limit="many" is not a whole number.');
        const json = await run(["user", "list", "--order_by=password", "--json"]);
        assert.equal(json.code, 2);
        assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, "USAGE");
      });
    });
  }
});

describe("piccolo, engine-independent", () => {
  const run = recorded(piccolo);

  test("the SQLite default: ./piccolo.sqlite in the working directory", async () => {
    const cwd = tempDir();
    assertOk(await run(["migrations", "forwards", "user"], { cwd }));
    assert.ok(existsSync(path.join(cwd, "piccolo.sqlite")));
    const created = await run(["user", "create", "--username=ivy", "--email=ivy@example.com", "--password-stdin", "--is_admin=t", "--is_superuser=f", "--is_active=t"], {
      cwd,
      input: "hunter2-typed\n",
    });
    assertOk(created);
    const listed = await run(["user", "list"], { cwd });
    assertOk(listed);
    assert.match(listed.stdout, /\bivy +ivy@example\.com +true +true +false\b/);
  });

  test("an unreachable database: exit 1, the URL shown without its password", async () => {
    for (const [url, shown] of [
      ["postgres://piccolo:pg-Secret-99@127.0.0.1:1/piccolo", "postgres://piccolo:***@127.0.0.1:1/piccolo"],
      ["mysql://root:my-Secret-99@127.0.0.1:1/piccolo", "mysql://root:***@127.0.0.1:1/piccolo"],
    ]) {
      for (const args of [["user", "list"], ["user", "create", "--username=x", "--password=abcdefgh"], ["migrations", "forwards", "user"]]) {
        const viaFlag = await run(["--db", url!, ...args]);
        assertFailure(viaFlag, 1, `Cannot connect to the database at ${shown}`, "Check that the database server is running");
        assert.doesNotMatch(viaFlag.all, /Secret-99/);
        const viaEnv = await run(args, { env: { DATABASE_URL: url } });
        assertFailure(viaEnv, 1, `Cannot connect to the database at ${shown}`);
        assert.doesNotMatch(viaEnv.all, /Secret-99/);
      }
    }
    assertFailure(await run(["--db", "oracle://db/x", "user", "list"]), 1, 'Unsupported database URL scheme "oracle:"');
  });

  test("start-up loads only what the command runs: --help no database library, SQLite no server driver", async () => {
    // A module resolve hook records every module the process loads (structure, not timing).
    const dir = tempDir();
    writeFileSync(
      path.join(dir, "hook.mjs"),
      `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.PICCOLO_TEST_MODULE_LOG, result.url + "\\n");
  return result;
}
`,
    );
    // require() (the bin is CommonJS) bypasses resolve hooks: record it in the CommonJS resolver too.
    writeFileSync(
      path.join(dir, "register.mjs"),
      `import Module, { register } from "node:module";
import { appendFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
register("./hook.mjs", import.meta.url);
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = resolveFilename.apply(this, args);
  if (isAbsolute(file)) appendFileSync(process.env.PICCOLO_TEST_MODULE_LOG, pathToFileURL(file).href + "\\n");
  return file;
};
`,
    );
    const loaded = async (args: string[], cwd: string): Promise<string[]> => {
      const log = path.join(dir, `modules-${args.join("-").replace(/\W+/g, "_")}.log`);
      writeFileSync(log, "");
      const result = await run(args, {
        cwd,
        env: { NODE_OPTIONS: `--import=${pathToFileURL(path.join(dir, "register.mjs")).href}`, PICCOLO_TEST_MODULE_LOG: log },
      });
      assertOk(result);
      return readFileSync(log, "utf8").split("\n").filter(Boolean);
    };
    const packages = (urls: string[]) => new Set(urls.map((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1]).filter(Boolean));

    // The files of this package the process loaded (the bin runs one bundled file, read by the bin
    // itself: no ES module of dist/ means every command module, admin and session included, stayed out).
    const ownFiles = (urls: string[]) =>
      [...new Set(urls.filter((url) => url.startsWith(pathToFileURL(root).href + "/dist/")).map((url) => url.slice(pathToFileURL(root).href.length + 1)))];

    const helpLoaded = await loaded(["--help"], dir);
    assert.deepEqual([...packages(helpLoaded)], [], "commander is in the bundle");
    assert.deepEqual(ownFiles(helpLoaded), ["dist/cli/entry.cjs"]);
    const cwd = tempDir();
    assertOk(await run(["migrations", "forwards", "user"], { cwd }));
    const listing = await loaded(["user", "list"], cwd);
    const listed = packages(listing);
    // The SQLite driver, imported from node_modules with what it requires itself (bindings finds its addon).
    assert.deepEqual([...listed].sort(), ["better-sqlite3", "bindings", "file-uri-to-path"]);
    assert.ok(listing.some((url) => url.endsWith("/better_sqlite3.node")), "SQLite's native addon loaded");
    for (const name of ["kysely", "pg", "mysql2", "@inquirer/password", "hono", "@hono/node-server"]) assert.ok(!listed.has(name), `${name} not loaded`);
    assert.deepEqual(ownFiles(listing), ["dist/cli/entry.cjs"], "no module of dist/ (commands, admin, session) beside the bundle");
  });

  test("an unknown command suggests the closest one (exit 2)", async () => {
    const cases: [string[], string, string][] = [
      [["user", "lst"], "piccolo user lst", "piccolo user list"],
      [["user", "craete"], "piccolo user craete", "piccolo user create"],
      [["user", "change_pasword"], "piccolo user change_pasword", "piccolo user change_password"],
      [["usr", "list"], "piccolo usr", "piccolo user"],
      [["migration", "forwards", "user"], "piccolo migration", "piccolo migrations"],
      [["migrations", "forward5", "user"], "piccolo migrations forward5", "piccolo migrations forwards"],
      [["migrations", "stats"], "piccolo migrations stats", "piccolo migrations status"],
      [["create"], "piccolo create", "piccolo user create"],
    ];
    for (const [args, typed, suggestion] of cases) {
      assertFailure(await run(args), 2, `Unknown command "${typed}".`, `Did you mean "${suggestion}"?`);
    }
    assertFailure(await run(["frobnicate"]), 2, 'Unknown command "piccolo frobnicate".', 'Run "piccolo --help" to see the commands.');
    assertFailure(await run(["user", "list", "extra"]), 2, "Too many arguments");
  });

  test("--help at every level (exit 0), a group without its command shows help (exit 2)", async () => {
    let result = await run(["--help"]);
    assertOk(result);
    assert.match(result.stdout, /Usage: piccolo /);
    assert.match(result.stdout, /migrations/);
    assert.match(result.stdout, /user/);
    assert.match(result.stdout, /--db <url>/);
    assert.match(result.stdout, /Exit codes: 0 .*1 .*2 /);
    result = await run(["user", "--help"]);
    assertOk(result);
    for (const name of ["create|new", "change_password|password", "change_permissions|perm", "list|ls"]) assert.ok(result.stdout.includes(name), name);
    result = await run(["migrations", "--help"]);
    assertOk(result);
    for (const name of ["forwards|f", "backwards|b", "check|status"]) assert.ok(result.stdout.includes(name), name);
    result = await run(["user", "create", "--help"]);
    assertOk(result);
    for (const flag of ["--username", "--email", "--password ", "--password-stdin", "--is_admin", "--is_superuser", "--is_active", "--json", "--db", "PICCOLO_USER_PASSWORD"]) {
      assert.ok(result.stdout.includes(flag), flag);
    }
    assertOk(await run(["help"]));
    assertOk(await run(["help", "user"]));
    result = await run(["user", "help", "list"]);
    assertOk(result);
    assert.match(result.stdout, /--order_by/);
    for (const args of [["user", "ls", "-h"], ["migrations", "b", "--help"], ["user", "perms", "--help"], ["user", "pass", "--help"]]) {
      assertOk(await run(args));
    }
    result = await run(["user"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Usage: piccolo user/);
    result = await run(["--version"]);
    assertOk(result);
    assert.match(result.stdout, /^\d+\.\d+\.\d+/);
  });
});

test("no output of any command above holds a password or a password hash", () => {
  assert.ok(outputs.length > 50, `only ${outputs.length} outputs collected`);
  for (const result of outputs) {
    assert.doesNotMatch(result.all, /pbkdf2/i, show(result));
    for (const password of PASSWORDS.filter((p) => p.length >= 6)) {
      assert.ok(!result.all.includes(password), `${password} printed:\n${show(result)}`);
    }
  }
});
