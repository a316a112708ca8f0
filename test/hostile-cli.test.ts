// Hostile input through the `piccolo` command line, on every engine: property-based tests (fast-check)
// over the flags and arguments of `user create`, `user list`, `user change_permissions` and
// `user change_password`, with the input classes of test/hostile.test.ts that a command line can carry
// (an argv string cannot hold NUL, and a lone surrogate reaches the process as U+FFFD; arguments are
// capped at 30 000 UTF-16 units, under Linux's 128 KiB per-argument limit).
//
// Each run spawns the built binary and checks: the exit code the rules predict (0 done, 1 refused,
// 2 command line wrong), one "The command failed." line and no stack trace on failure, nothing echoed
// that a terminal would act on (control characters), the database changed exactly as asked (the whole
// table is read before and after), and a created user round-trips exactly through the API.
//
// Cases per run: 60 per engine (CLI_RUNS below; each is a process start, and a successful create or
// password change pays for a 600 000-iteration hash). PICCOLO_HOSTILE_SCALE multiplies them.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BaseUser, closeDatabases, connect, migrateForwards, parseDatabaseUrl, verifyPassword, type Database } from "piccolo-ts";
import { piccolo, type CliResult } from "./support/cli.js";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";
import {
  codePoints,
  describe as show,
  hostileString,
  legalText,
  passwordOk,
  plausiblePassword,
  runSettings,
  scaledRuns,
  storedEmail,
  usernameOk,
  INVALID,
} from "./support/fault-inputs.js";

const runs = scaledRuns;
/** Generated command lines per engine: 60 in all. */
const CLI_RUNS = { create: runs(20), list: runs(16), changePermissions: runs(16), changePassword: runs(8) };

/** What an argv string can carry: no NUL, no lone surrogate (the OS gets UTF-8), at most 30 000 units. */
function argvSafe(text: string): string {
  return text
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\ufffd")
    .replaceAll("\u0000", "")
    .slice(0, 30_000)
    .replace(/[\uD800-\uDBFF]$/, "");
}

const argText = hostileString.map(argvSafe);
const TRUE_WORDS = ["t", "true", "1", "yes", "y"];
const FALSE_WORDS = ["f", "false", "0", "no", "n"];
/** A boolean flag value: Piccolo's spellings in any case, or something else. */
const boolWord = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...TRUE_WORDS, ...FALSE_WORDS, "True", "False", "YES", " t ", "N") },
  { weight: 2, arbitrary: argText },
  { weight: 1, arbitrary: fc.constantFrom("tru", "2", "-1", "on", "off", "", "ｔ", "t\u0301", "\u001b[31mt") },
);
function parseBool(value: string): boolean | undefined {
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  return undefined;
}
/** `--limit`/`--page` values: whole numbers in many spellings, and anything else. */
const intWord = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -3, max: 40 }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom("+5", " 7 ", "007", "1e3", "1.5", "0x10", "99999999999999999999", "-0", "", "NaN", "٣", "１") },
  { weight: 2, arbitrary: argText },
);
function parseInt_(value: string): number | undefined {
  const text = value.trim();
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
}

/** Characters a terminal acts on; the CLI must never print them raw (only \n and \t may appear). */
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function show2(result: CliResult): string {
  const cut = (text: string) => (text.length > 1500 ? `${text.slice(0, 1500)}…` : text);
  return `exit ${result.code}\n--- stdout\n${cut(result.stdout)}--- stderr\n${cut(result.stderr)}`;
}

/** The shape of every run: a predicted exit code; on failure one clear line last on stderr; nothing raw. */
function assertShape(result: CliResult, expectedExit: number, what: string): void {
  assert.equal(result.code, expectedExit, `${what}: wrong exit code\n${show2(result)}`);
  assert.doesNotMatch(result.all, /^\s+at .+:\d+:\d+\)?$/m, `${what}: a stack trace\n${show2(result)}`);
  assert.doesNotMatch(result.all, /Unexpected error/, `${what}: an unexpected error\n${show2(result)}`);
  assert.doesNotMatch(result.all, TERMINAL_CONTROL, `${what}: raw control characters in the output\n${show2(result)}`);
  if (expectedExit !== 0) {
    const last = result.stderr.trimEnd().split("\n").at(-1) ?? "";
    assert.match(last, /^The command failed\. \S/, `${what}: no one-line failure message\n${show2(result)}`);
  }
}

after(async () => {
  await closeDatabases();
});

for (const engine of testEngines) {
  describe(`hostile command lines on ${engine} (property-based)`, { timeout: 600_000 }, () => {
    let url: string;
    let db: Database;
    class T extends BaseUser {
      static override iterations = 1000;
    }
    const usernames = ["bob", "Robert'); DROP TABLE piccolo_user;--", "😀👍🏽", "-h", "--admin=t", "$(id)", "123", "İstanbul"];
    const cli = (args: string[], input?: string, env?: Record<string, string>) =>
      piccolo(["--db", url, ...args], { timeoutMs: 60_000, ...(input === undefined ? {} : { input }), ...(env ? { env } : {}) });
    const snapshot = async () =>
      (await db.kysely.selectFrom("piccolo_user").selectAll().orderBy("id").execute()) as Record<string, unknown>[];

    before(async () => {
      url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      T.database = url;
      db = await connect(parseDatabaseUrl(url));
      for (const [i, username] of usernames.entries()) {
        await T.createUser({ username, password: `pw-${i}-secret`, email: `by${i}@example.com`, active: true });
      }
    });
    after(async () => {
      await db?.close();
    });

    const existingUsername = fc.constantFrom(...usernames);

    test(`user create: ${CLI_RUNS.create} generated command lines create exactly the user asked for, or fail clearly`, async () => {
      const caseArb = fc.record({
        username: fc.oneof({ weight: 3, arbitrary: legalText(100).map(argvSafe) }, { weight: 3, arbitrary: argText }, { weight: 1, arbitrary: existingUsername }),
        email: fc.oneof({ weight: 3, arbitrary: legalText(200).map((t) => `${argvSafe(t)}@example.com`) }, { weight: 2, arbitrary: argText }, { weight: 1, arbitrary: fc.constant("by0@example.com") }),
        password: fc.oneof({ weight: 3, arbitrary: plausiblePassword.map(argvSafe) }, { weight: 2, arbitrary: argText }),
        via: fc.constantFrom("flag", "stdin", "env"),
        admin: boolWord,
        superuser: boolWord,
        active: boolWord,
      });
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const args = ["user", "create", `--username=${c.username}`, `--email=${c.email}`, `--is_admin=${c.admin}`, `--is_superuser=${c.superuser}`, `--is_active=${c.active}`];
          let input: string | undefined;
          let env: Record<string, string> | undefined;
          // What the command receives as the password: the flag verbatim, the first stdin line, or the variable.
          let password: string | undefined = c.password;
          if (c.via === "flag") args.push(`--password=${c.password}`);
          if (c.via === "stdin") {
            args.push("--password-stdin");
            input = `${c.password}\n`;
            password = c.password.split("\n")[0]!.replace(/\r$/, "");
          }
          if (c.via === "env") {
            env = { PICCOLO_USER_PASSWORD: c.password };
            if (c.password === "") password = undefined; // an empty variable is not given: asked for, and stdin is empty
          }
          const what = `piccolo ${args.map((a) => show(a)).join(" ")} (password ${c.via} ${show(c.password)})`;
          const before = await snapshot();
          const result = await cli(args, input, env);
          const after = await snapshot();

          const flags = [c.admin, c.superuser, c.active].map(parseBool);
          const takenUsername = before.some((row) => row.username === c.username);
          // The library stores any legal text; the command also wants an address's shape (something@something).
          const shapedEmail = storedEmail(c.email);
          const email = shapedEmail !== INVALID && shapedEmail !== "" && !/^[^\s@]+@[^\s@]+$/.test(shapedEmail) ? INVALID : shapedEmail;
          const takenEmail = email !== INVALID && before.some((row) => row.email === email);
          let expectedExit = 0;
          if (flags.includes(undefined)) expectedExit = 2;
          else if (password !== undefined && !passwordOk(password)) expectedExit = 1;
          else if (!usernameOk(c.username) || takenUsername || email === INVALID) expectedExit = 1;
          else if (password === undefined || takenEmail) expectedExit = 1;
          assertShape(result, expectedExit, what);
          if (expectedExit !== 0) {
            assert.deepEqual(after, before, `${what}: the table changed although the command failed`);
            assert.equal(result.stdout, "", `${what}: a failure printed results`);
            return;
          }
          const id = Number(/^Created User (\d+)\n$/.exec(result.stdout)?.[1]);
          assert.ok(id > 0, `${what}: no "Created User <id>"\n${show2(result)}`);
          assert.equal(after.length, before.length + 1, `${what}: not exactly one row added`);
          assert.deepEqual(after.filter((row) => Number(row.id) !== id), before, `${what}: another row changed`);
          const user = await T.getUser(id);
          assert.deepEqual(
            user && [user.username, user.email, user.admin, user.superuser, user.active],
            [c.username, c.email, ...flags],
            `${what}: the stored user differs from the command line`,
          );
          const row = after.find((r) => Number(r.id) === id)!;
          assert.ok(await verifyPassword(password!, row.password), `${what}: the stored hash does not verify the password`);
          await db.kysely.deleteFrom("piccolo_user").where("id", "=", id).execute();
        }),
        runSettings(CLI_RUNS.create),
      );
    });

    test(`user list: ${CLI_RUNS.list} generated --limit/--page/--order_by lines list exactly what the API lists, or fail clearly`, async () => {
      const orderWord = fc.oneof(
        { weight: 4, arbitrary: fc.tuple(fc.boolean(), fc.constantFrom("id", "username", "email", "active", "admin", "first_name", "last_name", "superuser", "last_login")).map(([d, c]) => (d ? `-${c}` : c)) },
        { weight: 1, arbitrary: fc.constantFrom("password", "-password", "id; DROP TABLE piccolo_user", "username desc", "") },
        { weight: 2, arbitrary: argText },
      );
      const caseArb = fc.record({ limit: fc.option(intWord, { nil: undefined }), page: fc.option(intWord, { nil: undefined }), orderBy: fc.option(orderWord, { nil: undefined }) });
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const args = ["user", "list", "--json"];
          if (c.limit !== undefined) args.push(`--limit=${c.limit}`);
          if (c.page !== undefined) args.push(`--page=${c.page}`);
          if (c.orderBy !== undefined) args.push(`--order_by=${c.orderBy}`);
          const what = `piccolo ${args.map((a) => show(a)).join(" ")}`;
          const before = await snapshot();
          const result = await cli(args);
          assert.deepEqual(await snapshot(), before, `${what}: listing changed the table`);
          const limit = c.limit === undefined ? undefined : parseInt_(c.limit);
          const page = c.page === undefined ? undefined : parseInt_(c.page);
          if ((c.limit !== undefined && limit === undefined) || (c.page !== undefined && page === undefined)) {
            return assertShape(result, 2, what);
          }
          // The library decides the rest: the CLI must agree with it exactly.
          let expected: unknown;
          try {
            expected = await T.listUsers({ limit, page, orderBy: c.orderBy });
          } catch (error) {
            // A value the library's rules refuse is a wrong command line: exit 2, with the library's message.
            assertShape(result, 2, what);
            assert.ok(result.stderr.includes((error as Error).message), `${what}: the CLI's message differs from the API's (${(error as Error).message})\n${show2(result)}`);
            return;
          }
          assertShape(result, 0, what);
          assert.deepEqual(JSON.parse(result.stdout), JSON.parse(JSON.stringify(expected)), `${what}: differs from listUsers()`);
        }),
        runSettings(CLI_RUNS.list),
      );
    });

    test(`user change_permissions: ${CLI_RUNS.changePermissions} generated lines change only the named user's flags, or fail clearly`, async () => {
      const caseArb = fc.record({
        username: fc.oneof({ weight: 3, arbitrary: existingUsername }, { weight: 3, arbitrary: argText }),
        admin: fc.option(boolWord, { nil: undefined }),
        superuser: fc.option(boolWord, { nil: undefined }),
        active: fc.option(boolWord, { nil: undefined }),
      });
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const flagArgs = (["admin", "superuser", "active"] as const).filter((f) => c[f] !== undefined).map((f) => `--${f}=${c[f]}`);
          // `--` first: whatever the username looks like (-h, --admin=t), it is the username.
          const args = ["user", "change_permissions", ...flagArgs, "--", c.username];
          const what = `piccolo ${args.map((a) => show(a)).join(" ")}`;
          const before = await snapshot();
          const result = await cli(args);
          const after = await snapshot();
          const parsed = (["admin", "superuser", "active"] as const).map((f) => (c[f] === undefined ? null : parseBool(c[f]!)));
          const target = before.find((row) => row.username === c.username);
          let expectedExit = 0;
          // No flag at all is a usage mistake (exit 2), found before the user is looked up.
          if (parsed.includes(undefined) || parsed.every((p) => p === null)) expectedExit = 2;
          else if (!target) expectedExit = 1;
          assertShape(result, expectedExit, what);
          if (expectedExit !== 0) {
            assert.deepEqual(after, before, `${what}: the table changed`);
            if (parsed.every((p) => p === null)) assert.match(result.stderr, /No changes detected/, what);
            return;
          }
          assert.equal(result.stdout, `Updated permissions for ${c.username}\n`, what);
          const user = await T.getUser(Number(target!.id));
          (["admin", "superuser", "active"] as const).forEach((flag, i) => {
            const expected = parsed[i] ?? Boolean(Number(target![flag]));
            assert.equal(user![flag], expected, `${what}: ${flag} is ${user![flag]}, expected ${expected}`);
          });
          for (const row of after) {
            const was = before.find((r) => r.id === row.id)!;
            if (row.id !== target!.id) assert.deepEqual(row, was, `${what}: another user changed`);
            else assert.deepEqual({ ...row, admin: 0, superuser: 0, active: 0 }, { ...was, admin: 0, superuser: 0, active: 0 }, `${what}: more than flags changed`);
          }
        }),
        runSettings(CLI_RUNS.changePermissions),
      );
    });

    test(`user change_password: ${CLI_RUNS.changePassword} generated lines change only the named user's hash, or fail clearly`, async () => {
      const caseArb = fc.record({
        username: fc.oneof({ weight: 3, arbitrary: existingUsername }, { weight: 2, arbitrary: argText }),
        password: fc.oneof({ weight: 3, arbitrary: plausiblePassword.map(argvSafe) }, { weight: 2, arbitrary: argText }),
      });
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const args = ["user", "change_password", `--password=${c.password}`, "--", c.username];
          const what = `piccolo ${args.map((a) => show(a)).join(" ")}`;
          const before = await snapshot();
          const result = await cli(args);
          const after = await snapshot();
          const target = before.find((row) => row.username === c.username);
          const expectedExit = !passwordOk(c.password) || !usernameOk(c.username) || !target ? 1 : 0;
          assertShape(result, expectedExit, what);
          if (expectedExit !== 0) {
            assert.deepEqual(after, before, `${what}: the table changed`);
            return;
          }
          for (const row of after) {
            const was = before.find((r) => r.id === row.id)!;
            if (row.id !== target!.id) assert.deepEqual(row, was, `${what}: another user changed`);
            else assert.deepEqual({ ...row, password: "" }, { ...was, password: "" }, `${what}: more than the password changed`);
          }
          const row = after.find((r) => r.id === target!.id)!;
          assert.ok(await verifyPassword(c.password, row.password), `${what}: the new hash does not verify`);
          assert.ok(codePoints(c.password) >= 6);
        }),
        runSettings(CLI_RUNS.changePassword),
      );
    });
  });
}

// The case the properties found, pinned: what a command echoes back (an unknown username, a bad flag
// value) must not reach the terminal as escape sequences or C1 controls.
for (const engine of testEngines) {
  describe(`hostile command lines on ${engine}: pinned cases`, { timeout: 120_000 }, () => {
    let url: string;
    before(async () => {
      url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
    });

    test("echoed input never carries raw control characters (terminal escape injection)", async () => {
      const evil = ["\u001b]0;pwned\u0007", "\u001b[2J\u001b[31mred", "\u009b31m", "a\rb", "\u0007bell"];
      for (const text of evil) {
        for (const args of [
          ["user", "change_permissions", "--admin=t", "--", text],
          ["user", "change_password", "--password=abc123", "--", text],
          ["user", "create", `--username=${text}`, "--password=abc123", "--email=e@example.com", "--is_admin=f", "--is_superuser=f", "--is_active=t"],
          ["user", "create", "--username=u", "--password=abc123", "--email=e@example.com", `--is_admin=${text}`, "--is_superuser=f", "--is_active=t"],
          ["user", "list", `--order_by=${text}`],
          ["user", "list", `--limit=${text}`],
        ]) {
          const result = await piccolo(["--db", url, ...args]);
          assert.notEqual(result.code, 0, show2(result));
          assert.doesNotMatch(result.all, TERMINAL_CONTROL, `piccolo ${args.map((a) => show(a)).join(" ")}: raw control characters\n${show2(result)}`);
        }
      }
    });
  });
}
