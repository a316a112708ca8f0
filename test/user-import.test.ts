// `piccolo user import`: users with their stored hashes from other systems, on every engine, through
// the real command; then each imported user logs in and gets a Piccolo hash.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import {
  BaseUser,
  closeDatabases,
  connect,
  importUsers,
  migrateForwards,
  parseDatabaseUrl,
  UserExistsError,
  type Database,
} from "piccolo-ts";
import { parseStoredHash } from "./support/internals.js";
import { piccolo } from "./support/cli.js";
import { freshDatabaseUrl, tempDir, testEngines } from "./support/engines.js";

// Hashes of the known-answer vectors in legacy-hashes.test.ts (their origins are written down there).
const DJANGO_PBKDF2 = "pbkdf2_sha256$260000$aB3dE5gH7jK9mN1pQ3sT5v$Tcp6yx7Ni2LWKOrIuYAS7WH5+75Q2qofs/CHk8auz2U="; // "correct horse"
const DJANGO_ARGON2 = "argon2$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"; // "password"
const BCRYPT = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"; // "U*U"
const BETTER_AUTH =
  "0123456789abcdef0123456789abcdef:e8b256b6f9f4b1641136a66d4a26ba41a47b6c8c9bad6aa4145559ffda45ece1f0f16dec8482a3e5545feada0ba62f2b05eeb943b750c9396874e1762c78d27d"; // "password123"
const PICCOLO =
  "pbkdf2_sha256$10000$00000000000000000000000000000000$d5c73915bd99f2368be60c245ba4e0497fb82c6a6f9816498fa0938ac1dfb74f"; // "pässwörd✓"

const csvField = (value: string) => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

after(async () => {
  await closeDatabases();
});

for (const engine of testEngines) {
  describe(`user import on ${engine}`, () => {
    let url: string;
    let db: Database;
    let dir: string;
    class ImportedUser extends BaseUser {
      static override iterations = 1000;
    }
    const file = (name: string, content: string) => {
      const full = path.join(dir, name);
      writeFileSync(full, content);
      return full;
    };
    const count = async () => Number((await db.kysely.selectFrom("piccolo_user").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);

    before(async () => {
      url = await freshDatabaseUrl(engine);
      dir = tempDir();
      await migrateForwards("user", { database: url });
      ImportedUser.database = url;
      db = await connect(parseDatabaseUrl(url));
    });
    after(async () => {
      await db.close();
    });

    test("bad rows are all reported (line and reason, never the hash) and nothing is written", async () => {
      await ImportedUser.createUser({ username: "taken", password: "abc123", email: "taken@example.com" });
      const secretHash = "pbkdf2_sha256$600000$seasalt$SECRETSECRETSECRETSECRETSECRETSECRETSECRE=="; // wrong length
      const csv = [
        "username,email,first_name,last_name,is_active,is_admin,is_superuser,password",
        `ok1,ok1@example.com,A,B,t,f,f,${csvField(BCRYPT)}`,
        `taken,new@example.com,,,t,f,f,${csvField(BCRYPT)}`, //           line 3: username in the table
        `ok2,ok1@example.com,,,t,f,f,${csvField(BCRYPT)}`, //             line 4: email repeats line 2
        ` spaced,s@example.com,,,t,f,f,${csvField(secretHash)}`, //        line 5: two problems
        `ok3,ok3@example.com,,,maybe,f,f,${csvField(BCRYPT)}`, //          line 6: not a boolean
        `ok4,ok4@example.com,,,t,f,f,hunter22`, //                         line 7: a plain password
      ].join("\n");
      const result = await piccolo(["--db", url, "user", "import", file("bad.csv", csv)]);
      assert.equal(result.code, 1, result.all);
      assert.match(result.stderr, /5 rows of 6 cannot be imported \(listed above\); nothing was written/);
      const lines = result.stdout.split("\n").filter((line) => /^\d+\s/.test(line));
      assert.deepEqual(
        lines.map((line) => line.split(/\s+/)[0]),
        ["3", "4", "5", "5", "6", "7"],
      );
      assert.match(result.stdout, /the username "taken" is already taken/);
      assert.match(result.stdout, /the email "ok1@example.com" is already on line 2/);
      assert.match(result.stdout, /must not start or end with white space/);
      assert.match(result.stdout, /active must be true or false/);
      assert.doesNotMatch(result.all, /SECRET|CCCCCCCCC|hunter22/);
      assert.equal(await count(), 1);
    });

    test("rows without an active value are imported inactive (Piccolo's default), and the summary says so; then user check passes unless --strict", async () => {
      const csv = ["username,email,password", `quiet1,quiet1@example.com,${BCRYPT}`, `quiet2,quiet2@example.com,${BCRYPT}`, ""].join("\n");
      const dry = await piccolo(["--db", url, "user", "import", file("quiet-dry.csv", csv), "--dry-run"]);
      assert.equal(dry.code, 0, dry.all);
      assert.match(dry.stderr, /2 rows have no active value, so those users would be inactive \(false, Piccolo's default for the column\)/);
      const result = await piccolo(["--db", url, "user", "import", file("quiet.csv", csv)]);
      assert.equal(result.code, 0, result.all);
      assert.match(result.stdout, /^Imported 2 users\.$/m);
      assert.match(result.stderr, /2 rows have no active value, so those users are inactive \(false, Piccolo's default for the column\) and cannot log in: add an active column/);
      assert.equal((await ImportedUser.getUser("quiet1"))!.active, false);
      const help = await piccolo(["user", "import", "--help"]);
      assert.match(help.stdout, /A missing or empty value is false, Piccolo's\s+column default/);
      const told = await piccolo(["--db", url, "user", "import", file("told.csv", `username,email,active,password\ntold,told@example.com,t,${BCRYPT}\n`)]);
      assert.equal(told.code, 0, told.all);
      assert.doesNotMatch(told.stderr, /no active value/);

      // Right after an import, its hashes are not a failure of `user check` (each upgrades at login)...
      // (Besides these 3 the table holds "taken", hashed with this file's 1000 iterations.)
      const check = await piccolo(["--db", url, "user", "check", "--iterations=1000"]);
      assert.equal(check.code, 0, check.all);
      assert.match(check.stdout, /^3 users have hashes imported from another system: each is replaced by a Piccolo hash at that user's next login, so there is nothing to fix \(--strict counts them as problems\)\.$/m);
      // ...unless --strict asks for Piccolo hashes only.
      const strict = await piccolo(["--db", url, "user", "check", "--iterations=1000", "--strict"]);
      assert.equal(strict.code, 1, strict.all);
      assert.match(strict.stdout, /nothing to fix \(but --strict counts them as problems\)\./);
      assert.equal((await piccolo(["--db", url, "user", "check", "--iterations=1000", "--json"])).code, 0);
      assert.equal((await piccolo(["--db", url, "user", "check", "--iterations=1000", "--strict", "--json"])).code, 1);
    });

    test("--dry-run checks and writes nothing; --json reports the result", async () => {
      const jsonl = `${JSON.stringify({ username: "dry", email: "dry@example.com", password: BCRYPT })}\n`;
      const result = await piccolo(["--db", url, "user", "import", file("dry.jsonl", jsonl), "--dry-run", "--json"]);
      assert.equal(result.code, 0, result.all);
      assert.deepEqual(JSON.parse(result.stdout), { total: 1, imported: 0, dryRun: true, problems: [] });
      assert.equal(await ImportedUser.getUser("dry"), null);
    });

    test("CSV and JSON Lines import every format; each user logs in once and gets a Piccolo hash", async () => {
      const csv = [
        "username,email,first_name,last_name,is_active,is_admin,is_superuser,password",
        `django,django@example.com,Dj,"Ango, Jr",t,t,f,${csvField(DJANGO_PBKDF2)}`,
        `argon,argon@example.com,,,1,0,0,${csvField(DJANGO_ARGON2)}`,
        `crypt,,,,yes,no,no,${csvField(BCRYPT)}`,
      ].join("\r\n");
      const csvRun = await piccolo(["--db", url, "user", "import", file("users.csv", csv), "--batch-size", "2"]);
      assert.equal(csvRun.code, 0, csvRun.all);
      assert.match(csvRun.stdout, /Imported 3 users\./);
      const jsonl = [
        { username: "better", email: "better@example.com", firstName: "Bet", active: true, password: BETTER_AUTH },
        { username: "piccolo", email: "piccolo@example.com", is_superuser: true, password: PICCOLO },
      ]
        .map((row) => JSON.stringify(row))
        .join("\n");
      const jsonRun = await piccolo(["--db", url, "user", "import", file("users.jsonl", jsonl)]);
      assert.equal(jsonRun.code, 0, jsonRun.all);

      const django = await ImportedUser.getUser("django");
      assert.deepEqual(
        { ...django, id: 0 },
        { id: 0, username: "django", email: "django@example.com", firstName: "Dj", lastName: "Ango, Jr", active: true, admin: true, superuser: false, lastLogin: null },
      );
      assert.equal((await ImportedUser.getUser("crypt"))?.email, "");
      assert.equal((await ImportedUser.getUser("piccolo"))?.superuser, true);

      const check = await piccolo(["--db", url, "user", "check"]);
      assert.match(check.stdout, /argon\s+legacy\s+Django argon2 hash \(imported\): will be upgraded on next login/);
      assert.doesNotMatch(check.stdout, /argon\s+malformed/);

      for (const [username, password] of [
        ["django", "correct horse"],
        ["argon", "password"],
        ["crypt", "U*U"],
        ["better", "password123"],
        ["piccolo", "pässwörd✓"],
      ] as const) {
        assert.equal(await ImportedUser.login(username, "wrong-password"), null, username);
        const id = await ImportedUser.login(username, password);
        assert.equal(typeof id, "number", `${username} cannot log in`);
        const stored = await db.kysely.selectFrom("piccolo_user").select("password").where("username", "=", username).executeTakeFirstOrThrow();
        assert.equal(parseStoredHash(stored.password)?.iterations, 1000, username);
      }
    });

    test("rows go in by batches, one transaction each: a batch that fails is rolled back whole", async () => {
      const rows = ["b1", "b2", "b3", "b4"].map((username) => ({ username, email: `${username}@example.com`, password: BCRYPT }));
      const progress: number[] = [];
      const failure = await importUsers(ImportedUser, rows.map((row) => JSON.stringify(row)).join("\n"), "jsonl", {
        batchSize: 2,
        // After the first batch, a concurrent writer takes b4, the LAST row of the second batch (every row
        // had passed the checks): b3, inserted before it, must go down with the batch.
        onProgress: async (imported) => {
          progress.push(imported);
          await db.kysely
            .insertInto("piccolo_user")
            .values({ username: "b4", email: "other@example.com", password: "x", first_name: "", last_name: "" })
            .execute();
        },
      }).then(
        () => null,
        (error: unknown) => error,
      );
      assert.ok(failure instanceof UserExistsError, `the second batch did not fail as taken: ${String(failure)}`);
      assert.match(failure.message, /^2 of 4 users were imported; the batch of lines 3-4 was not/);
      assert.deepEqual(progress, [2]);
      const names = await db.kysely.selectFrom("piccolo_user").select(["username", "email"]).where("username", "like", "b_").orderBy("username").execute();
      // b1 and b2 committed; b3 went down with its batch; b4 is the concurrent writer's.
      assert.deepEqual(names, [
        { username: "b1", email: "b1@example.com" },
        { username: "b2", email: "b2@example.com" },
        { username: "b4", email: "other@example.com" },
      ]);
    });

    test("constructor, __proto__, toString and other inherited names are unknown columns, in CSV and JSON Lines", async () => {
      for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
        const csv = await importUsers(ImportedUser, `username,password,email,${name}\nproto1,${BCRYPT},p1@example.org,x\n`, "csv");
        assert.deepEqual(csv.problems.map((problem) => problem.line), [1], name);
        assert.match(csv.problems[0]!.reason, new RegExp(`unknown column\\(s\\) "${name}"`), name);
        const jsonl = await importUsers(ImportedUser, `{"username":"proto2","email":"p2@example.org","password":${JSON.stringify(BCRYPT)},${JSON.stringify(name)}:"x"}`, "jsonl");
        assert.deepEqual(jsonl.problems.map((problem) => problem.line), [1], name);
        assert.match(jsonl.problems[0]!.reason, new RegExp(`unknown field\\(s\\) ${name}`), name);
      }
      assert.equal((await db.kysely.selectFrom("piccolo_user").select("id").where("username", "in", ["proto1", "proto2"]).execute()).length, 0);
    });

    test("a file that is not UTF-8 (Latin-1) is refused, naming its lines; nothing is stored with U+FFFD", async () => {
      const latin1 = Buffer.from(
        `username,password,email,first_name\nplainrow,${BCRYPT},p@example.org,Ann\njose,${BCRYPT},j@example.org,Jos\xe9\nzoe,${BCRYPT},z@example.org,Zo\xeb\n`,
        "latin1",
      );
      const result = await importUsers(ImportedUser, latin1, "csv");
      assert.deepEqual(result.problems.map((problem) => problem.line), [3, 4]);
      assert.match(result.problems[0]!.reason, /not valid UTF-8/);
      assert.equal(result.imported, 0);
      // The same file through the command, and the same text already decoded with U+FFFD in it.
      writeFileSync(path.join(dir, "latin1.csv"), latin1);
      const run = await piccolo(["--db", url, "user", "import", path.join(dir, "latin1.csv")]);
      assert.equal(run.code, 1, run.all);
      assert.match(run.stdout, /3 +is not valid UTF-8/);
      const lossy = await importUsers(ImportedUser, latin1.toString("utf8"), "csv");
      assert.deepEqual(lossy.problems.map((problem) => problem.line), [3, 4]);
      assert.match(lossy.problems[0]!.reason, /U\+FFFD/);
      assert.equal((await db.kysely.selectFrom("piccolo_user").select("id").where("username", "in", ["plainrow", "jose", "zoe"]).execute()).length, 0);
      // UTF-8 bytes are fine, with a byte order mark too.
      const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`username,password,email,first_name\njose,${BCRYPT},j@example.org,José\n`, "utf8")]);
      const good = await importUsers(ImportedUser, utf8, "csv");
      assert.deepEqual(good.problems, []);
      assert.equal((await ImportedUser.getUser("jose"))?.firstName, "José");
    });

    test("an unreadable file and a bad header fail with exit 1, a wrong flag with exit 2", async () => {
      const missing = await piccolo(["--db", url, "user", "import", path.join(dir, "nope.csv")]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Cannot read .*nope\.csv \(ENOENT\)/);
      const header = await piccolo(["--db", url, "user", "import", file("header.csv", "user,pass\nx,y\n")]);
      assert.equal(header.code, 1);
      assert.match(header.stdout, /unknown column\(s\) "user", "pass"/);
      const format = await piccolo(["--db", url, "user", "import", file("f.csv", "username,password\n"), "--format", "xml"]);
      assert.equal(format.code, 2, format.all);
    });
  });
}
