// Secrets, on every engine: every API path and every command is run with one known password (and a
// database password in the URL), and neither the password, nor its stored hash, nor the hash's salt or
// key, nor the database password appears in anything piccolo-ts hands back or prints: return values,
// thrown errors (message, String(), util.inspect() with the cause chain and stack), logged warnings,
// console output, and the command's stdout and stderr.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { BaseUser, closeDatabases, connect, migrateForwards, migrationStatus, parseDatabaseUrl, type Database } from "piccolo-ts";
import { piccolo, type CliOptions, type CliResult } from "./support/cli.js";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";
import { freePort } from "./support/fault-servers.js";

const PASSWORD = "Kn0wn-Secret-Pa55";
const NEW_PASSWORD = "An0ther-Secret-Pa55";
const DB_PASSWORD = "Db-S3cret-Pa55word";

after(async () => {
  await closeDatabases();
});

/** Everything that must never be shown: the passwords, and every stored hash with its salt and key. */
class Secrets {
  private readonly values = new Set<string>([PASSWORD, NEW_PASSWORD, DB_PASSWORD, encodeURIComponent(DB_PASSWORD)]);
  addHash(hash: string): void {
    this.values.add(hash);
    const [, , salt, key] = hash.split("$");
    if (salt && salt.length >= 16) this.values.add(salt);
    if (key) {
      this.values.add(key);
      this.values.add(key.slice(0, 24));
    }
  }
  assertAbsent(text: string, where: string): void {
    for (const value of this.values) {
      assert.ok(!text.includes(value), `${where} shows a secret (${value.slice(0, 6)}…):\n${text.slice(0, 2000)}`);
    }
    assert.doesNotMatch(text, /pbkdf2_sha256\$\d+\$[0-9a-f]{8}/, `${where} shows a stored hash`);
  }
}

/** Runs `call` with console and the process streams captured; returns what it gave back or threw, and what it printed. */
async function captured<T>(call: () => Promise<T> | T): Promise<{ value?: T; error?: unknown; printed: string }> {
  let printed = "";
  const restore: (() => void)[] = [];
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      printed += `${args.map((a) => (typeof a === "string" ? a : inspect(a, { depth: 6 }))).join(" ")}\n`;
    };
    restore.push(() => (console[method] = original));
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      printed += String(chunk);
      return original(chunk as string, ...(rest as []));
    }) as typeof stream.write;
    restore.push(() => (stream.write = original));
  }
  try {
    return { value: await call(), printed };
  } catch (error) {
    return { error, printed };
  } finally {
    for (const undo of restore) undo();
  }
}

function errorTexts(error: unknown): string {
  if (error === undefined) return "";
  const e = error as Error;
  const json = JSON.stringify(error, (_k, v) => (typeof v === "bigint" ? String(v) : v)) ?? "";
  return [e?.message, String(error), inspect(error, { depth: 10, showHidden: true }), e?.stack ?? "", json].join("\n");
}

for (const engine of testEngines) {
  describe(`secrets on ${engine}`, { timeout: 300_000 }, () => {
    let url: string;
    let db: Database;
    const secrets = new Secrets();
    const warnings: string[] = [];
    class T extends BaseUser {
      static override iterations = 1000;
    }
    /** Uses the default logger (console.warn), to check what it prints. */
    class Default extends BaseUser {
      static override iterations = 1000;
    }
    const storedHash = async (username: string) =>
      String((await db.kysely.selectFrom("piccolo_user").select("password").where("username", "=", username).executeTakeFirstOrThrow()).password);

    before(async () => {
      url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      T.database = Default.database = url;
      T.logger = { warn: (message) => warnings.push(message) };
      db = await connect(parseDatabaseUrl(url));
    });
    after(async () => {
      await db?.close();
    });

    test("every API path with the known password: no secret in results, errors, warnings or console output", async () => {
      const steps: [string, () => Promise<unknown> | unknown][] = [
        ["createUser", () => T.createUser({ username: "alice", password: PASSWORD, email: "alice@example.com" })],
        ["createUser (Default)", () => Default.createUser({ username: "dora", password: PASSWORD, email: "dora@example.com" })],
        ["createUser taken username", () => T.createUser({ username: "alice", password: PASSWORD, email: "other@example.com" })],
        ["createUser taken email", () => T.createUser({ username: "alice2", password: PASSWORD, email: "alice@example.com" })],
        ["createUser no email twice", () => T.createUser({ username: "ne1", password: PASSWORD }).then(() => T.createUser({ username: "ne2", password: PASSWORD }))],
        ["createUser password too long", () => T.createUser({ username: "long", password: PASSWORD.repeat(10), email: "l@example.com" })],
        ["createUser bad username", () => T.createUser({ username: "bad\u0000name", password: PASSWORD })],
        ["createUser hash as password", () => T.createUser({ username: "hashy", password: `pbkdf2_sha256$600000$${PASSWORD}`, email: "h@example.com" })],
        ["login ok", () => T.login("alice", PASSWORD)],
        ["login ok (object)", () => T.login({ username: "alice", password: PASSWORD })],
        ["login ok (Default)", () => Default.login("dora", PASSWORD)],
        ["login wrong password", () => T.login("alice", NEW_PASSWORD)],
        ["login unknown user", () => T.login("nobody", PASSWORD)],
        ["login over-long password", () => T.login("alice", PASSWORD.repeat(10))],
        ["login over-long password (Default)", () => Default.login("dora", PASSWORD.repeat(10))],
        ["login upgrade", () => {
          class Stronger extends T {
            static override iterations = 1100;
          }
          return Stronger.login("alice", PASSWORD);
        }],
        ["getUser", () => T.getUser("alice")],
        ["listUsers", () => T.listUsers({ search: "alice" })],
        ["countUsers", () => T.countUsers()],
        ["changePermissions", () => T.changePermissions("alice", { admin: true })],
        ["updatePassword", () => T.updatePassword("alice", NEW_PASSWORD)],
        ["updatePassword unknown", () => T.updatePassword("nobody", PASSWORD)],
        ["updatePassword too short", () => T.updatePassword("alice", "short")],
        ["updatePassword hash as password", () => T.updatePassword("alice", `pbkdf2_sha256$1$${PASSWORD}`)],
        ["login new password", () => T.login("alice", NEW_PASSWORD)],
        ["createUserSync", () => T.createUserSync({ username: "sync", password: PASSWORD, email: "sync@example.com" })],
        ["createUserSync taken", () => T.createUserSync({ username: "sync", password: PASSWORD, email: "sync2@example.com" })],
        ["loginSync", () => T.loginSync("sync", PASSWORD)],
        ["loginSync wrong", () => T.loginSync("sync", NEW_PASSWORD)],
        ["updatePasswordSync", () => T.updatePasswordSync("sync", NEW_PASSWORD)],
        ["updatePasswordSync unknown", () => T.updatePasswordSync("nobody", PASSWORD)],
        ["plaintext planted", () => db.kysely.updateTable("piccolo_user").set({ password: PASSWORD }).where("username", "=", "dora").execute()],
        ["login against plaintext", () => T.login("dora", PASSWORD)],
        ["login against plaintext (Default)", () => Default.login("dora", PASSWORD)],
        ["checkPasswords", () => T.checkPasswords()],
        ["migrationStatus", () => migrationStatus({ database: url })],
      ];
      for (const [what, step] of steps) {
        const outcome = await captured(step);
        // Record every hash stored so far, so that later steps are checked against them too.
        for (const name of ["alice", "dora", "sync", "ne1"]) {
          const row = await db.kysely.selectFrom("piccolo_user").select("password").where("username", "=", name).executeTakeFirst();
          if (row && String(row.password).startsWith("pbkdf2_sha256$")) secrets.addHash(String(row.password));
        }
        secrets.assertAbsent(JSON.stringify(outcome.value, (_k, v) => (typeof v === "bigint" ? String(v) : v)) ?? "", `${what}: its result`);
        secrets.assertAbsent(inspect(outcome.value, { depth: 10 }), `${what}: its result (inspected)`);
        secrets.assertAbsent(errorTexts(outcome.error), `${what}: its error`);
        secrets.assertAbsent(outcome.printed, `${what}: console output`);
        secrets.assertAbsent(warnings.join("\n"), `${what}: logged warnings`);
      }
      assert.ok(warnings.some((w) => /not a valid hash/.test(w)), "the plaintext row was warned about");
      assert.ok(warnings.includes("Excessively long password provided."));
    });

    // An SQLite location holds no password, so this one exists for the servers only.
    if (engine !== "sqlite") test("a database password in the URL never shows, on success or failure", async () => {
      const port = await freePort();
      const urls = [
        engine === "postgres" ? `postgres://postgres:${DB_PASSWORD}@127.0.0.1:${port}/piccolo` : `mysql://root:${DB_PASSWORD}@127.0.0.1:${port}/piccolo`,
        // The real server: PostgreSQL's trust authentication ignores the password; MariaDB refuses it.
        withPassword(url, DB_PASSWORD),
      ];
      for (const target of urls) {
        class WithPassword extends BaseUser {
          static override iterations = 1000;
        }
        WithPassword.database = target;
        const steps: [string, () => Promise<unknown>][] = [
          ["login", () => WithPassword.login("alice", NEW_PASSWORD)],
          ["createUser", () => WithPassword.createUser({ username: "dbpw", password: PASSWORD, email: "dbpw@example.com" })],
          ["migrateForwards", () => migrateForwards("user", { database: target })],
        ];
        for (const [what, step] of steps) {
          const outcome = await captured(step);
          secrets.assertAbsent(errorTexts(outcome.error), `${what} at ${target.replace(DB_PASSWORD, "***")}: its error`);
          secrets.assertAbsent(outcome.printed, `${what}: console output`);
        }
        for (const args of [["user", "list"], ["migrations", "check"], ["user", "check"], ["user", "create", "--username=dbpw2", `--password=${PASSWORD}`, "--email=d2@example.com", "--is_admin=f", "--is_superuser=f", "--is_active=t"]]) {
          for (const via of ["--db", "DATABASE_URL"] as const) {
            const result = via === "--db" ? await piccolo(["--db", target, ...args]) : await piccolo(args, { env: { DATABASE_URL: target } });
            secrets.assertAbsent(result.all, `piccolo ${args.join(" ")} (${via} with a password)`);
          }
        }
      }
    });

    test("every command, with the password given every way: nothing secret on stdout or stderr", async () => {
      const results: [string, CliResult][] = [];
      const run = async (label: string, args: string[], options: CliOptions = {}) => {
        const result = await piccolo(["--db", url, ...args], options);
        results.push([label, result]);
        return result;
      };
      const flags = ["--is_admin=f", "--is_superuser=f", "--is_active=t"];
      await run("create --password", ["user", "create", "--username=c1", `--password=${PASSWORD}`, "--email=c1@example.com", ...flags]);
      await run("create --password --json", ["user", "create", "--username=c2", `--password=${PASSWORD}`, "--email=c2@example.com", "--json", ...flags]);
      await run("create --password-stdin", ["user", "create", "--username=c3", "--password-stdin", "--email=c3@example.com", ...flags], { input: `${PASSWORD}\n` });
      await run("create PICCOLO_USER_PASSWORD", ["user", "create", "--username=c4", "--email=c4@example.com", ...flags], { env: { PICCOLO_USER_PASSWORD: PASSWORD } });
      await run("create piped prompts", ["user", "create"], { input: `c5\nc5@example.com\n${PASSWORD}\n${PASSWORD}\nn\nn\ny\n` });
      await run("create mismatched confirmation", ["user", "create"], { input: `c6\nc6@example.com\n${PASSWORD}\n${NEW_PASSWORD}\n` });
      await run("create taken username", ["user", "create", "--username=c1", `--password=${PASSWORD}`, "--email=x@example.com", ...flags]);
      await run("create taken email", ["user", "create", "--username=c7", `--password=${PASSWORD}`, "--email=c1@example.com", ...flags]);
      await run("create too long", ["user", "create", "--username=c8", `--password=${PASSWORD.repeat(10)}`, "--email=c8@example.com", ...flags]);
      await run("create hash as password", ["user", "create", "--username=c9", `--password=pbkdf2_sha256$1$${PASSWORD}`, "--email=c9@example.com", ...flags]);
      await run("create both --password and --password-stdin", ["user", "create", "--username=c10", `--password=${PASSWORD}`, "--password-stdin"], { input: `${PASSWORD}\n` });
      for (const name of ["c1", "c2", "c3", "c4", "c5"]) secrets.addHash(await storedHash(name));
      await run("change_password --password", ["user", "change_password", "c1", `--password=${NEW_PASSWORD}`]);
      await run("change_password --password-stdin", ["user", "change_password", "c2", "--password-stdin"], { input: `${NEW_PASSWORD}\n` });
      await run("change_password env", ["user", "change_password", "c3"], { env: { PICCOLO_USER_PASSWORD: NEW_PASSWORD } });
      await run("change_password prompts", ["user", "change_password"], { input: `c4\n${NEW_PASSWORD}\n${NEW_PASSWORD}\n` });
      await run("change_password unknown user", ["user", "change_password", "nobody", `--password=${NEW_PASSWORD}`]);
      await run("change_password mismatch", ["user", "change_password", "c5"], { input: `${NEW_PASSWORD}\n${PASSWORD}\n` });
      for (const name of ["c1", "c2", "c3", "c4"]) secrets.addHash(await storedHash(name));
      // A plaintext row, as a bulk update leaves it: `user check` and `user list` must not print it.
      await db.kysely.updateTable("piccolo_user").set({ password: PASSWORD }).where("username", "=", "c5").execute();
      await run("change_permissions", ["user", "change_permissions", "c1", "--admin=t"]);
      await run("list", ["user", "list"]);
      await run("list --json", ["user", "list", "--json", "--limit=100"]);
      await run("check", ["user", "check"]);
      await run("check --json", ["user", "check", "--json"]);
      await run("migrations check", ["migrations", "check"]);
      await run("migrations forwards", ["migrations", "forwards", "user"]);
      await run("migrations forwards --preview", ["migrations", "forwards", "all", "--preview"]);
      await run("help", ["user", "create", "--help"]);
      for (const [label, result] of results) secrets.assertAbsent(result.all, `piccolo (${label})`);
      // The runs did what they were asked (so the checks above covered real work, not early failures).
      const created = results.filter(([label]) => label.startsWith("create ")).map(([label, r]) => `${label}: ${r.code}`);
      assert.deepEqual(created.slice(0, 5), [
        "create --password: 0",
        "create --password --json: 0",
        "create --password-stdin: 0",
        "create PICCOLO_USER_PASSWORD: 0",
        "create piped prompts: 0",
      ]);
      assert.equal(results.find(([label]) => label === "change_password prompts")?.[1].code, 0);
    });
  });
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}
