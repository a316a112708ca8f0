// `BaseUser.checkPasswords()` and `piccolo user check`, on every engine, over a table with planted bad
// rows (what a bulk UPDATE of passwords leaves behind): every malformed or weak stored password is
// reported by id and username, nothing else is, the stored values never appear, the scan reads the
// table in batches, and the command exits 1 when it finds any and 0 when the table is clean.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import {
  BaseUser,
  ValidationError,
  closeDatabases,
  connect,
  hashPassword,
  migrateForwards,
  parseDatabaseUrl,
  type Database,
} from "piccolo-ts";
import { type PasswordProblem } from "./support/internals.js";
import { piccolo, type CliResult } from "./support/cli.js";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";

after(async () => {
  await closeDatabases();
});

/** A well-formed hash text with `iterations` (the scan parses, it never verifies: any hex will do). */
const hashText = (iterations: number) => `pbkdf2_sha256$${iterations}$${randomBytes(16).toString("hex")}$${randomBytes(32).toString("hex")}`;

function show(result: CliResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

/** A user class reading `url`, with the default iteration count (600 000). */
function checkerFor(url: string): typeof BaseUser {
  class Checker extends BaseUser {}
  Checker.database = url;
  return Checker;
}

/** The command must be registered in src/cli/main.ts; say how, rather than fail obscurely. */
function assertRegistered(result: CliResult): void {
  assert.ok(
    !/Unknown command "piccolo user check"/.test(result.stderr),
    'piccolo user check is not registered: add its entry (path ["user", "check"], load ./commands/user-check.js) to COMMANDS in src/cli/main.ts',
  );
}

for (const engine of testEngines) {
  describe(`user check on ${engine}`, { timeout: 300_000 }, () => {
    let url: string;
    let db: Database;
    /** Rows planted with a raw INSERT: username → stored password, and what the check must say. */
    const planted: { username: string; password: string; expect: "malformed" | "weak" | "legacy" | null; iterations?: number; format?: string }[] = [];
    const SECRET = "Plain-Text-Pa55";

    before(async () => {
      url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      db = await connect(parseDatabaseUrl(url));
      const good = await hashPassword(SECRET, 600_000, "0123456789abcdef0123456789abcdef");
      const rows: typeof planted = [
        { username: "good-default", password: hashText(600_000), expect: null },
        { username: "good-stronger", password: hashText(720_000), expect: null },
        { username: "real-hash", password: good, expect: null },
        { username: "plaintext", password: SECRET, expect: "malformed" },
        { username: "empty", password: "", expect: "malformed" },
        { username: "truncated", password: good.slice(0, 60), expect: "malformed" },
        // Another system's hash (`piccolo user import`): verified at login and replaced, so "legacy", not malformed.
        { username: "bcrypt", password: "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", expect: "legacy", format: "bcrypt" },
        { username: "sha1", password: `pbkdf2_sha1$600000$${"a".repeat(32)}$${"b".repeat(40)}`, expect: "malformed" },
        { username: "absurd-iterations", password: hashText(999_999_999).replace("999999999", "99999999999"), expect: "malformed" },
        { username: "old-django-count", password: hashText(260_000), expect: "weak", iterations: 260_000 },
        { username: "cheap", password: hashText(1000), expect: "weak", iterations: 1000 },
        { username: "one", password: hashText(1), expect: "weak", iterations: 1 },
        // Usernames the API would refuse, planted by hand: reported as they are, printed harmlessly.
        { username: "esc\u001b[2Jape", password: "x", expect: "malformed" },
        { username: "Robert'); DROP TABLE piccolo_user;--", password: "pbkdf2_sha256$600000$not-hex$xyz", expect: "malformed" },
      ];
      for (const [i, row] of rows.entries()) {
        await db.kysely.insertInto("piccolo_user").values({ username: row.username, password: row.password, email: `planted${i}@example.com` }).execute();
        planted.push(row);
      }
    });
    after(async () => {
      await db?.close();
    });

    const expected = async (): Promise<PasswordProblem[]> => {
      const ids = await db.kysely.selectFrom("piccolo_user").select(["id", "username"]).orderBy("id").execute();
      return ids.flatMap((row) => {
        const plant = planted.find((p) => p.username === row.username);
        if (!plant?.expect) return [];
        const problem: PasswordProblem = { id: Number(row.id), username: String(row.username), problem: plant.expect };
        if (plant.expect === "weak") problem.iterations = plant.iterations!;
        if (plant.expect === "legacy") problem.format = plant.format!;
        return [problem];
      });
    };

    test("checkPasswords reports exactly the malformed and weak rows, in id order, by id and username only", async () => {
      const problems = await checkerFor(url).checkPasswords();
      assert.deepEqual(problems, await expected());
      const text = JSON.stringify(problems);
      for (const plant of planted) {
        if (plant.password.length >= 4) assert.ok(!text.includes(plant.password), `a stored value appears: ${plant.password}`);
      }
      assert.doesNotMatch(text, /pbkdf2|\$2b\$/);
    });

    test("the required count is the class's: a class with fewer iterations finds fewer weak rows", async () => {
      class Cheap extends BaseUser {
        static override iterations = 1000;
      }
      Cheap.database = url;
      const weak = (await Cheap.checkPasswords()).filter((p) => p.problem === "weak").map((p) => p.username);
      assert.deepEqual(weak, ["one"]);
      class Strong extends BaseUser {
        static override iterations = 700_000;
      }
      Strong.database = url;
      const strongWeak = (await Strong.checkPasswords()).filter((p) => p.problem === "weak").map((p) => p.username).sort();
      assert.deepEqual(strongWeak, ["cheap", "good-default", "old-django-count", "one", "real-hash"]);
    });

    test("batches: any batch size gives the same answer, over more rows than one default batch", async () => {
      const big = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: big });
      const bigDb = await connect(parseDatabaseUrl(big));
      try {
        const rows = Array.from({ length: 2100 }, (_, i) => ({
          username: `bulk-${i}`,
          email: `bulk-${i}@example.com`,
          // What a bulk UPDATE leaves: every 7th row plaintext, every 11th made with too few iterations.
          password: i % 7 === 0 ? `plain-${i}` : i % 11 === 0 ? hashText(10_000) : hashText(600_000),
        }));
        for (let i = 0; i < rows.length; i += 500) await bigDb.kysely.insertInto("piccolo_user").values(rows.slice(i, i + 500)).execute();
        const checker = checkerFor(big);
        const all = await checker.checkPasswords();
        assert.equal(all.filter((p) => p.problem === "malformed").length, rows.filter((_, i) => i % 7 === 0).length);
        assert.equal(all.filter((p) => p.problem === "weak").length, rows.filter((_, i) => i % 7 !== 0 && i % 11 === 0).length);
        for (const batchSize of [1, 7, 999, 1000, 1001, 5000]) {
          assert.deepEqual(await checker.checkPasswords({ batchSize }), all, `batchSize ${batchSize}`);
        }
      } finally {
        await bigDb.close();
      }
    });

    test("a batch size that is not a positive whole number is a ValidationError, not a loop or a database error", async () => {
      for (const batchSize of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await assert.rejects(checkerFor(url).checkPasswords({ batchSize }), ValidationError, `batchSize ${batchSize}`);
      }
    });

    test("piccolo user check: a table of id, username and problem, never a stored value; exit 1", async () => {
      const result = await piccolo(["--db", url, "user", "check"]);
      assertRegistered(result);
      assert.equal(result.code, 1, show(result));
      assert.equal(result.stderr, "", show(result));
      const lines = result.stdout.trimEnd().split("\n");
      assert.match(lines[0]!, /^id\s+username\s+problem\b/);
      for (const problem of await expected()) {
        const shown = problem.username.replace("\u001b", "\\u{1b}");
        const line = lines.find((l) => new RegExp(`^${problem.id}\\s`).test(l));
        assert.ok(line, `no line for user ${problem.id}:\n${result.stdout}`);
        assert.ok(line.includes(shown), `line for ${problem.id} lacks the username: ${line}`);
        assert.ok(line.includes(problem.problem), `line for ${problem.id} lacks the problem: ${line}`);
        if (problem.iterations) assert.ok(line.includes(String(problem.iterations)), line);
      }
      for (const plant of planted.filter((p) => p.expect === null)) {
        assert.ok(!result.stdout.includes(` ${plant.username} `), `a good row is reported: ${plant.username}`);
      }
      for (const plant of planted) {
        if (plant.password.length >= 4) assert.ok(!result.all.includes(plant.password), `a stored value is printed: ${plant.password}`);
      }
      assert.doesNotMatch(result.all, /pbkdf2_sha256\$|\$2b\$|[0-9a-f]{32}/, "no hash text at all");
      assert.doesNotMatch(result.all, /\u001b/, "the planted escape sequence is not printed raw");
      assert.match(lines.at(-1)!, /^\d+ users need attention \(\d+ malformed, \d+ weak, 1 imported\)/);
    });

    test("piccolo user check --json: the same problems as the API; --iterations sets the bar", async () => {
      const result = await piccolo(["--db", url, "user", "check", "--json"]);
      assertRegistered(result);
      assert.equal(result.code, 1, show(result));
      assert.deepEqual(JSON.parse(result.stdout), { iterations: 600_000, problems: await expected(), caseCollisions: [] });
      assert.doesNotMatch(result.stdout, /\u001b/);
      const cheap = await piccolo(["--db", url, "user", "check", "--json", "--iterations=1000"]);
      assert.equal(cheap.code, 1, show(cheap));
      const parsed = JSON.parse(cheap.stdout) as { iterations: number; problems: PasswordProblem[] };
      assert.equal(parsed.iterations, 1000);
      assert.deepEqual(parsed.problems.filter((p) => p.problem === "weak").map((p) => p.username), ["one"]);
      for (const bad of ["0", "-5", "abc"]) {
        const refused = await piccolo(["--db", url, "user", "check", `--iterations=${bad}`]);
        // A bad flag value is a wrong command line: exit 2 (docs/cli.md, "exit code"), like --iterations=abc.
        assert.equal(refused.code, 2, `--iterations=${bad}: ${show(refused)}`);
        assert.match(refused.stderr.trimEnd().split("\n").at(-1)!, /^The command failed\. /);
      }
    });

    test("piccolo user check on a clean table, and on an empty one: exit 0", async () => {
      const clean = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: clean });
      const empty = await piccolo(["--db", clean, "user", "check"]);
      assertRegistered(empty);
      assert.equal(empty.code, 0, show(empty));
      const cleanDb = await connect(parseDatabaseUrl(clean));
      try {
        await cleanDb.kysely
          .insertInto("piccolo_user")
          .values([
            { username: "a", password: hashText(600_000), email: "a@example.com" },
            { username: "b", password: hashText(900_000), email: "b@example.com" },
          ])
          .execute();
      } finally {
        await cleanDb.close();
      }
      const result = await piccolo(["--db", clean, "user", "check"]);
      assert.equal(result.code, 0, show(result));
      assert.match(result.stdout, /^No problems: all 2 stored passwords are well-formed hashes with at least 600000 iterations\.\n$/);
      const json = await piccolo(["--db", clean, "user", "check", "--json"]);
      assert.equal(json.code, 0, show(json));
      assert.deepEqual(JSON.parse(json.stdout), { iterations: 600_000, problems: [], caseCollisions: [] });
    });

    test("piccolo user check before the migrations: one failure line, exit 1", async () => {
      const bare = await freshDatabaseUrl(engine);
      // An existing, empty database (a missing SQLite file is refused before: cli-first-hour.test.ts).
      if (engine === "sqlite") writeFileSync(bare.replace(/^sqlite:/, ""), "");
      const result = await piccolo(["--db", bare, "user", "check"]);
      assertRegistered(result);
      assert.equal(result.code, 1, show(result));
      assert.match(result.stderr.trimEnd().split("\n").at(-1)!, /^The command failed\. The table piccolo_user does not exist/);
    });
  });
}
