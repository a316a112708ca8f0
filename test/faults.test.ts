// Faults, on every engine: a database that is not there (closed port; for SQLite a path that cannot
// be opened and a file that is not a database), a migration process killed with SIGKILL half-way
// through, and stored hashes that are corrupt. (A server stopped and restarted mid-run:
// faults-restart.test.ts.)
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";
import mysql from "mysql2/promise";
import {
  BaseUser,
  DatabaseConnectionError,
  closeDatabases,
  connect,
  hashPassword,
  migrateForwards,
  migrationStatus,
  parseDatabaseUrl,
  type Database,
} from "piccolo-ts";
import { baseEnv, bin, piccolo, root, type CliResult } from "./support/cli.js";
import { freshDatabaseUrl, tempDir, testEngines, type EngineName } from "./support/engines.js";
import { freePort } from "./support/fault-servers.js";

after(async () => {
  await closeDatabases();
});

const USER_MIGRATIONS = ["2019-11-14T21:52:21", "2020-06-11T21:38:55", "2021-04-30T16:14:15"];
const ALL_COLUMNS = ["active", "admin", "email", "first_name", "id", "last_login", "last_name", "password", "superuser", "username"];

function assertOneLineFailure(result: CliResult, what: string, fragment: RegExp): void {
  const show = `exit ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
  assert.equal(result.code, 1, `${what}: ${show}`);
  assert.equal(result.stdout, "", `${what}: printed results: ${show}`);
  const lines = result.stderr.split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 1, `${what}: not exactly one line on stderr: ${show}`);
  assert.match(lines[0]!, /^The command failed\. /, `${what}: ${show}`);
  assert.match(lines[0]!, fragment, `${what}: ${show}`);
}

/** Where nothing answers: a closed port for the servers; for SQLite, a file that cannot be opened or is not a database. */
async function unreachable(engine: EngineName): Promise<{ label: string; url: string }[]> {
  if (engine === "postgres") return [{ label: "closed port", url: `postgres://postgres@127.0.0.1:${await freePort()}/piccolo` }];
  if (engine === "mysql") return [{ label: "closed port", url: `mysql://root@127.0.0.1:${await freePort()}/piccolo` }];
  const notADatabase = path.join(tempDir(), "not-a-database.sqlite");
  writeFileSync(notADatabase, "This is a text file, not an SQLite database.\n".repeat(200));
  return [
    { label: "missing directory", url: `sqlite:${path.join(tempDir(), "no", "such", "dir", "piccolo.sqlite")}` },
    { label: "not a database", url: `sqlite:${notADatabase}` },
  ];
}

for (const engine of testEngines) {
  describe(`faults on ${engine}`, { timeout: 300_000 }, () => {
    test("a database that is not there: every API call raises DatabaseConnectionError, every command prints one line and exits 1", async () => {
      for (const { label, url } of await unreachable(engine)) {
        class T extends BaseUser {
          static override iterations = 1;
        }
        T.database = url;
        const calls: [string, () => Promise<unknown>][] = [
          ["login", () => T.login("bob", "abc123")],
          ["createUser", () => T.createUser({ username: "bob", password: "abc123" })],
          ["getUser", () => T.getUser("bob")],
          ["listUsers", () => T.listUsers()],
          ["updatePassword", () => T.updatePassword("bob", "abc123")],
          ["changePermissions", () => T.changePermissions(1, { admin: true })],
          ["checkPasswords", () => T.checkPasswords()],
          ["migrateForwards", () => migrateForwards("user", { database: url })],
          ["migrationStatus", () => migrationStatus({ database: url })],
        ];
        for (const [what, call] of calls) {
          await assert.rejects(call(), (error) => {
            assert.ok(error instanceof DatabaseConnectionError, `${label}, ${what}: ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
            return true;
          });
        }
        for (const args of [
          ["user", "list"],
          ["user", "create", "--username=bob", "--password=abc123", "--email=b@example.com", "--is_admin=f", "--is_superuser=f", "--is_active=t"],
          ["user", "change_password", "bob", "--password=abc123"],
          ["user", "change_permissions", "bob", "--admin=t"],
          ["migrations", "forwards", "user"],
          ["migrations", "check"],
        ]) {
          assertOneLineFailure(await piccolo(["--db", url, ...args]), `${label}: piccolo ${args.join(" ")}`, /Cannot connect to the database|There is no database at .*no\/such\/dir/);
        }
      }
    });

    for (const killedIn of USER_MIGRATIONS.slice(0, 2)) {
      test(`forwards killed with SIGKILL inside migration ${killedIn}: running forwards again finishes it, no duplicate rows, no half-made table`, async () => {
        const url = await freshDatabaseUrl(engine);
        // The `migration` table must exist for the test to hold a lock on it: session_auth's migration
        // makes it when the kill comes in the user app's first migration; the first one does otherwise.
        if (killedIn === USER_MIGRATIONS[0]) await migrateForwards("session_auth", { database: url });
        else await migrateForwards("user", { database: url, migrationId: USER_MIGRATIONS[0] });

        const blocker = await holdMigrationInserts(engine, url);
        let child: ChildProcess | undefined;
        try {
          let output = "";
          child = spawn(process.execPath, [...blocker.nodeArgs, blocker.bin ?? bin, "--db", url, "migrations", "forwards", "user"], {
            env: baseEnv(blocker.env),
            stdio: ["ignore", "pipe", "pipe"],
          });
          child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
          child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
          const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
            child!.on("exit", (code, signal) => resolve({ code, signal })),
          );
          // Wait until the child has done the migration's DDL and is stuck writing its `migration` row.
          await waitUntil(`the child to block inside ${killedIn}`, async () => output.includes(`Running ${killedIn}`) && (await blocker.childIsWaiting(output)), () => output);
          assert.equal(child.exitCode, null, `the child finished although it was blocked:\n${output}`);
          child.kill("SIGKILL");
          const { signal } = await exited;
          assert.equal(signal, "SIGKILL");
        } finally {
          if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
          await blocker.release();
        }

        const db = await connect(parseDatabaseUrl(url));
        try {
          await blocker.waitForOrphan();
          const recorded = async () =>
            (await db.kysely.selectFrom("migration").select("name").where("app_name", "=", "user").orderBy("id").execute()).map((row) => String(row.name));
          // The killed migration is not recorded. PostgreSQL and SQLite rolled all of it back; MySQL
          // commits DDL as it goes, so its table or columns may remain, and forwards must cope.
          assert.deepEqual(await recorded(), USER_MIGRATIONS.slice(0, USER_MIGRATIONS.indexOf(killedIn)), "after the kill");
          const columns = await columnsOf(db, "piccolo_user");
          const added = killedIn === USER_MIGRATIONS[0] ? ["username", "password", "email"] : ["first_name", "last_name"];
          if (engine === "mysql") {
            // The half-way state this test is about: the DDL is there, its `migration` row is not.
            for (const column of added) assert.ok(columns.includes(column), `MySQL kept the DDL: ${column} missing from ${columns.join(", ")}`);
          } else {
            for (const column of added) assert.ok(!columns.includes(column), `rolled back: ${column} is still there (${columns.join(", ")})`);
          }
          // Running forwards again finishes the job.
          const again = await piccolo(["--db", url, "migrations", "forwards", "user"], { timeoutMs: 120_000 });
          assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
          assert.deepEqual(await recorded(), USER_MIGRATIONS, "each migration recorded exactly once");
          assert.deepEqual(await columnsOf(db, "piccolo_user"), ALL_COLUMNS);
          const status = await piccolo(["--db", url, "migrations", "check", "--json"]);
          assert.equal(status.code, 0, status.stderr);
          class T extends BaseUser {
            static override iterations = 1;
          }
          T.database = url;
          const user = await T.createUser({ username: "after-kill", password: "abc123", email: "k@example.com", firstName: "K" });
          assert.equal(await T.login("after-kill", "abc123"), user.id);
        } finally {
          await db.close();
        }
      });
    }

    describe("corrupted stored hashes", () => {
      class T extends BaseUser {
        static override iterations = 1000;
      }
      const warnings: string[] = [];
      let db: Database;
      before(async () => {
        T.database = await freshDatabaseUrl(engine);
        T.logger = { warn: (message) => warnings.push(message) };
        await migrateForwards("user", { database: T.database });
        db = await connect(parseDatabaseUrl(T.database));
      });
      after(async () => {
        await db?.close();
      });

      test("truncated, plaintext, another algorithm or format: login returns null, never throws, and warns naming the user id only", async () => {
        const password = "Corrupt-Pa55word";
        const good = await hashPassword(password, 1000);
        const [, , salt, key] = good.split("$");
        const planted: [string, string][] = [
          ["truncated by one", good.slice(0, -1)],
          ["truncated to the salt", good.slice(0, good.lastIndexOf("$") + 1)],
          ["truncated to 100 characters", good.slice(0, 100)],
          ["plaintext: the password itself", password],
          ["empty", ""],
          // bcrypt and Django's base64 pbkdf2_sha256 are imported formats now (legacy-hashes.test.ts).
          ["bcrypt with a cost past the limit", "$2b$31$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"],
          ["pbkdf2_sha1", `pbkdf2_sha1$1000$${salt}$${key!.slice(0, 40)}`],
          ["argon2", "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"],
          ["Django base64 digest, truncated", `pbkdf2_sha256$1000$${salt}$${Buffer.from(key!, "hex").toString("base64").slice(0, 20)}`],
          ["upper-case hex", `pbkdf2_sha256$1000$${salt}$${key!.toUpperCase()}`],
          ["zero iterations", `pbkdf2_sha256$0$${salt}$${key}`],
          ["absurd iterations", `pbkdf2_sha256$99999999$${salt}$${key}`],
          ["trailing newline", `${good}\n`],
          ["leading space", ` ${good}`],
          ["extra field", `${good}$extra`],
          ["md5", "md5$salt$5f4dcc3b5aa765d61d8327deb882cf99"],
        ];
        for (const [index, [label, stored]] of planted.entries()) {
          const username = `victim-${index}-${label.replace(/\W+/g, "-")}`;
          const user = await T.createUser({ username, password, email: `v${index}@example.com` });
          await db.kysely.updateTable("piccolo_user").set({ password: stored }).where("id", "=", user.id).execute();
          warnings.length = 0;
          const started = Date.now();
          assert.equal(await T.login(username, password), null, `${label}: login must fail`);
          assert.equal(await T.login(username, stored || "x"), null, `${label}: the stored text is not a password either`);
          assert.ok(Date.now() - started < 10_000, `${label}: login took ${Date.now() - started} ms`);
          const mine = warnings.filter((w) => w.includes(`User ${user.id} `));
          assert.ok(mine.length >= 1, `${label}: no warning naming user ${user.id}: ${JSON.stringify(warnings)}`);
          for (const warning of warnings) {
            assert.ok(!warning.includes(username), `${label}: the warning names the username: ${warning}`);
            assert.ok(!warning.includes(password), `${label}: the warning holds the password: ${warning}`);
            if (stored.length >= 4) assert.ok(!warning.includes(stored.trim()), `${label}: the warning holds the stored value: ${warning}`);
            assert.ok(!warning.includes(salt!) && !warning.includes(key!.slice(0, 16)), `${label}: the warning holds part of the hash: ${warning}`);
          }
          // The row is untouched: a failed login rewrites nothing.
          const row = await db.kysely.selectFrom("piccolo_user").select(["password", "last_login"]).where("id", "=", user.id).executeTakeFirstOrThrow();
          assert.equal(row.password, stored, `${label}: the stored value was changed`);
          assert.equal(row.last_login, null, `${label}: last_login was set`);
        }
      });
    });
  });
}

// ---- holding the `migration` table so that a migration stops between its DDL and its row -------------

interface Blocker {
  /** Extra `node` arguments and environment for the child. */
  nodeArgs: string[];
  /** The command file to run, when not the bin (whose bundle holds its own copy of better-sqlite3). */
  bin?: string;
  env: Record<string, string>;
  /** True once the child is stuck between the migration's DDL and its `migration` row. */
  childIsWaiting(output: string): Promise<boolean>;
  release(): Promise<void>;
  /** Waits until the killed process's database session has ended (its transaction rolled back). */
  waitForOrphan(): Promise<void>;
}

async function holdMigrationInserts(engine: EngineName, url: string): Promise<Blocker> {
  if (engine === "postgres") {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("BEGIN");
    // SHARE conflicts with the ROW EXCLUSIVE lock an INSERT needs, not with the reads before it.
    await client.query("LOCK TABLE migration IN SHARE MODE");
    const database = new URL(url).pathname.slice(1);
    let orphan: number | undefined;
    return {
      nodeArgs: [],
      env: {},
      async childIsWaiting() {
        // pg_stat_activity is read once per transaction and then cached; this client is inside one.
        await client.query("SELECT pg_stat_clear_snapshot()");
        const { rows } = await client.query(
          "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query ILIKE 'insert into \"migration\"%'",
          [database],
        );
        orphan = rows[0]?.pid as number | undefined;
        return orphan !== undefined;
      },
      async release() {
        await client.query("ROLLBACK").catch(() => {});
        await client.end().catch(() => {});
      },
      async waitForOrphan() {
        const check = new pg.Client({ connectionString: url });
        await check.connect();
        try {
          await waitUntil("the killed session to end", async () => {
            const { rows } = await check.query("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1", [orphan ?? -1]);
            return Number(rows[0]?.n) === 0;
          });
        } finally {
          await check.end();
        }
      },
    };
  }
  if (engine === "mysql") {
    const conn = await mysql.createConnection({ uri: url });
    await conn.query("START TRANSACTION");
    // Next-key locks on every row and the gap after the last: an INSERT waits, plain reads do not.
    await conn.query("SELECT id FROM migration FOR UPDATE");
    const database = new URL(url).pathname.slice(1);
    let orphan: number | undefined;
    return {
      nodeArgs: [],
      env: {},
      async childIsWaiting() {
        const [rows] = await conn.query(
          "SELECT id FROM information_schema.processlist WHERE db = ? AND info LIKE 'insert into `migration`%'",
          [database],
        );
        orphan = (rows as { id: number }[])[0]?.id;
        return orphan !== undefined;
      },
      async release() {
        // The server would let the dead client's INSERT finish (and autocommit: DDL ended its
        // transaction) once the lock is free; a server that notices the death first ends the session
        // instead, leaving the DDL without its row. That is the state to recover from: end it here.
        if (orphan !== undefined) await conn.query(`KILL ${Number(orphan)}`).catch(() => {});
        await conn.query("ROLLBACK").catch(() => {});
        await conn.end().catch(() => {});
      },
      async waitForOrphan() {
        const check = await mysql.createConnection({ uri: url });
        try {
          await waitUntil("the killed session to end", async () => {
            const [rows] = await check.query("SELECT count(*) AS n FROM information_schema.processlist WHERE id = ?", [orphan ?? -1]);
            return Number((rows as { n: number }[])[0]?.n) === 0;
          });
        } finally {
          await check.end();
        }
      },
    };
  }
  // SQLite: the child freezes itself just before it inserts the `migration` row (test/support/fault-freeze.ts),
  // inside the transaction that holds the migration's DDL; killed there, it leaves a hot journal.
  const file = parseDatabaseUrl(url).filename!;
  return {
    nodeArgs: ["--import", pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "support", "fault-freeze.js")).href],
    // The freeze patches the installed better-sqlite3; the bin's bundle carries its own copy of its
    // JavaScript, so the same command runs unbundled (dist/cli/main.js) here.
    bin: path.join(root, "dist/cli/main.js"),
    env: { PICCOLO_FAULT_FREEZE_AT: '^insert into "migration"' },
    async childIsWaiting(output) {
      return output.includes("FROZEN") && existsSync(`${file}-journal`);
    },
    async release() {},
    async waitForOrphan() {},
  };
}

async function columnsOf(db: Database, table: string): Promise<string[]> {
  try {
    const tables = await db.kysely.introspection.getTables();
    const found = tables.find((t) => t.name === table);
    return found ? found.columns.map((c) => c.name).sort() : [];
  } catch {
    return [];
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, detail: () => string = () => "", timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out waiting for ${what}. ${detail()}`);
}
