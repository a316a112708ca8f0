// `piccolo migrations …` driven as a separate process on every engine: forwards (f, forward) with
// --migration_id, --fake and --preview, backwards (b, back) with its confirmation, check (status).
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { closeDatabases, migrateForwards } from "piccolo-ts";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";
import { boundTo, type CliOptions, type CliResult } from "./support/cli.js";

const IDS = ["2019-11-14T21:52:21", "2020-06-11T21:38:55", "2021-04-30T16:14:15"];

type Run = (args: string[], options?: CliOptions) => Promise<CliResult>;

function show(result: CliResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

function assertOk(result: CliResult): void {
  assert.equal(result.code, 0, show(result));
}

function assertFailure(result: CliResult, code: number, ...fragments: string[]): void {
  assert.equal(result.code, code, show(result));
  const last = result.stderr.trimEnd().split("\n").at(-1) ?? "";
  assert.match(last, /^The command failed\. \S/, show(result));
  for (const fragment of fragments) assert.ok(last.includes(fragment), `"${fragment}" missing in: ${last}`);
  assert.doesNotMatch(result.stderr, /^\s+at /m);
}

interface StatusRow {
  app: string;
  id: string;
  description: string;
  ran: boolean;
  ranOn: string | null;
}

after(async () => {
  await closeDatabases();
});

// The engines run side by side; every test starts from a database of its own, in the state it needs
// (so one failure does not cascade into the tests after it).
describe("piccolo migrations … on every engine", { concurrency: testEngines.length }, () => {
  for (const engine of testEngines) {
    describe(`piccolo migrations … on ${engine}`, { concurrency: 1 }, () => {
      let run: Run;
      let runEnv: Run;
      /** The IDs of the user app that ran, from `migrations check --json`. */
      const ran = async (via: Run = run): Promise<string[]> => {
        const result = await via(["migrations", "check", "user", "--json"]);
        assertOk(result);
        return (JSON.parse(result.stdout) as StatusRow[]).filter((row) => row.ran).map((row) => row.id);
      };

      /** A new, empty database; with `migrated`, the user app's migrations applied (through the library). */
      async function setUp(options: { migrated?: boolean } = {}): Promise<void> {
        const url = await freshDatabaseUrl(engine);
        run = boundTo(url, "--db");
        runEnv = boundTo(url, "DATABASE_URL");
        if (options.migrated) await migrateForwards("user", { database: url });
      }

      test("check (and status) before anything ran: every migration pending, nothing created", async () => {
        await setUp();
        const result = await run(["migrations", "check"]);
        assertOk(result);
        const lines = result.stdout.trimEnd().split("\n");
        assert.match(lines[0]!, /^app +migration_id +ran +ran_on +description$/);
        for (const id of IDS) assert.match(result.stdout, new RegExp(`^user +${id} +false `, "m"));
        // One command for every app in use; the opt-in app is listed but not recommended.
        assert.match(result.stdout, /^12 not yet run: run "piccolo migrations forwards all"\. Off: the opt-in apps user_case_insensitive, passkeys /m);
        const json = await runEnv(["migrations", "status", "--json"]);
        assertOk(json);
        const rows = (JSON.parse(json.stdout) as StatusRow[]).filter((row) => row.app === "user");
        assert.deepEqual(rows.map((row) => [row.id, row.ran, row.ranOn]), IDS.map((id) => [id, false, null]));
      });

      test("forwards --preview prints the SQL and changes nothing", async () => {
        await setUp();
        const result = await run(["migrations", "forwards", "user", "--preview"]);
        assertOk(result);
        assert.match(result.stdout, /^-- user 2019-11-14T21:52:21: /m);
        assert.match(result.stdout, /create table "?`?piccolo_user/i);
        assert.match(result.stdout, /alter table .*first_name/i);
        assert.deepEqual(await ran(), []);
      });

      test("forwards up to --migration_id (alias f), then the rest (alias forward), then nothing to do", async () => {
        await setUp();
        let result = await run(["migrations", "f", "user", `--migration_id=${IDS[0]}`]);
        assertOk(result);
        assert.match(result.stdout, new RegExp(`^1 migration not yet run for user\nRunning ${IDS[0]}: Create piccolo_user\\b.*\nDone: 1 migration ran\\.\n$`));
        assert.deepEqual(await ran(), IDS.slice(0, 1));
        result = await runEnv(["migrations", "forward", "user"]);
        assertOk(result);
        assert.match(result.stdout, /^2 migrations not yet run for user$/m);
        for (const id of IDS.slice(1)) assert.match(result.stdout, new RegExp(`^Running ${id}: `, "m"));
        assert.deepEqual(await ran(runEnv), IDS);
        result = await run(["migrations", "forwards", "user"]);
        assertOk(result);
        assert.equal(result.stdout, "No migrations need to be run for user\n");
        result = await run(["migrations", "forwards", "all"]);
        assertOk(result);
        assert.match(result.stdout, /^No migrations need to be run for user$/m);
        // After forwards all, the opt-in app (which all leaves out) is not what is left to do.
        result = await run(["migrations", "check"]);
        assert.match(result.stdout, /^Every migration in use has run\. Off: the opt-in apps user_case_insensitive, passkeys \(forwards all leaves them out/m);
        assert.doesNotMatch(result.stdout, /not yet run/);
        result = await run(["migrations", "check", "user"]);
        for (const id of IDS) assert.match(result.stdout, new RegExp(`^user +${id} +true +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d `, "m"));
        assert.match(result.stdout, /Every migration has run\./);
      });

      test("forwards failures: unknown migration ID (exit 1); unknown app or no app, usage mistakes (exit 2)", async () => {
        await setUp();
        assertFailure(await run(["migrations", "forwards", "user", "--migration_id=2000-01-01T00:00:00"]), 1, 'Unknown migration ID "2000-01-01T00:00:00"');
        assertFailure(await run(["migrations", "forwards", "nope"]), 2, 'Unknown app "nope"');
        assertFailure(await run(["migrations", "forwards", "users"]), 2, 'Unknown app "users"', 'Did you mean "piccolo migrations forwards user"?');
        assertFailure(await run(["migrations", "backwards", "users", "--yes"]), 2, 'Unknown app "users"');
        assertFailure(await run(["migrations", "check", "users"]), 2, 'Unknown app "users"');
        assertFailure(await run(["migrations", "forwards"]), 2, "Missing required argument 'app'");
      });

      test("backwards asks Reverse N migration(s)? [y/N]: n keeps, y reverses the latest, end of input is an error", async () => {
        await setUp({ migrated: true });
        let result = await run(["migrations", "backwards", "user"], { input: "n\n" });
        assertOk(result);
        assert.equal(result.stderr, "Reverse 1 migration(s)? This deletes the columns last_login, superuser of piccolo_user (0 rows). [y/N]\n");
        assert.equal(result.stdout, "Not reversing anything.\n");
        assert.deepEqual(await ran(), IDS);
        assertFailure(
          await run(["migrations", "backwards", "user"]),
          1,
          'Standard input ended before "Reverse 1 migration(s)? This deletes the columns last_login, superuser of piccolo_user (0 rows). [y/N]" was answered.',
          "--yes",
        );
        assert.deepEqual(await ran(), IDS);
        result = await run(["migrations", "b", "user"], { input: "y\n" });
        assertOk(result);
        assert.match(result.stdout, new RegExp(`^Reversing ${IDS[2]}: .*superuser.*\nDone: 1 migration reversed\\.\n$`));
        assert.deepEqual(await ran(), IDS.slice(0, 2));
      });

      test("backwards names what it deletes for good, with row counts: in the question, and in the output of --yes", async () => {
        await setUp();
        assertOk(await run(["migrations", "forwards", "all"]));
        for (const name of ["ann", "ben"]) {
          assertOk(await run(["user", "create", `--username=${name}`, `--email=${name}@example.com`, "--password-stdin", "--is_admin=t", "--is_superuser=f", "--is_active=t"], { input: "ann-and-ben-pass\n" }));
        }
        let result = await run(["migrations", "backwards", "user", "all"], { input: "n\n" });
        assertOk(result);
        assert.equal(result.stderr, "Reverse 3 migration(s)? This deletes the table piccolo_user (2 rows). [y/N]\n");
        assert.equal(result.stdout, "Not reversing anything.\n");
        result = await run(["migrations", "backwards", "all", "--yes"]);
        assertOk(result);
        assert.match(
          result.stdout,
          /^Reversing 12 migrations\. This deletes the table admin_history \(0 rows\); the table authenticator_secret \(0 rows\); the table token_auth \(0 rows\); the table login_attempts \(0 rows\); the table sessions \(0 rows\); the table piccolo_user \(2 rows\)\.$/m,
        );
        assert.match(result.stdout, /Done: 12 migrations reversed\./);
        assert.deepEqual(await ran(), []);
      });

      test("backwards to an ID (argument or --migration_id), all, --auto_agree / --yes / -y, alias back", async () => {
        await setUp({ migrated: true });
        let result = await runEnv(["migrations", "back", "user", IDS[1]!], { input: "y\n" });
        assertOk(result);
        assert.match(result.stderr, /^Reverse 2 migration\(s\)\? This deletes the columns last_login, superuser, last_name, first_name of piccolo_user \(0 rows\)\. \[y\/N\]$/m);
        assert.deepEqual(await ran(), IDS.slice(0, 1));
        assertOk(await run(["migrations", "forwards", "user"]));
        result = await run(["migrations", "backwards", "user", `--migration_id=${IDS[2]}`, "--auto_agree"]);
        assertOk(result);
        assert.equal(result.stderr, "", "not asked");
        assert.match(result.stdout, /^Reversing 1 migration\. This deletes the columns last_login, superuser of piccolo_user \(0 rows\)\.$/m, "but told");
        assert.deepEqual(await ran(), IDS.slice(0, 2));
        assertOk(await run(["migrations", "backwards", "user", "1", "--yes"]));
        assert.deepEqual(await ran(), IDS.slice(0, 1));
        assertOk(await run(["migrations", "forwards", "user"]));
        result = await run(["migrations", "backwards", "user", "all", "-y"]);
        assertOk(result);
        assert.match(result.stdout, /Done: 3 migrations reversed\./);
        assert.deepEqual(await ran(), []);
        result = await run(["migrations", "backwards", "user", "--auto-agree"]);
        assertOk(result);
        assert.equal(result.stdout, "No migrations to reverse for user\n");
        assertFailure(await run(["migrations", "backwards", "user", "1", "--migration_id=all"]), 2, "Two different migration IDs");
        assertOk(await run(["migrations", "forwards", "user", "--fake"]));
        assert.deepEqual(await ran(), IDS, "--fake records them");
      });
    });
  }
});
