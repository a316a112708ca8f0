// A server that answered but refused the connection is named in words through the CLI: a missing
// database (with the command that creates it, which the test then runs as printed), failed
// authentication, denied access; and a SQLite file that cannot be opened. Never a raw driver code as
// the message, and never "is the server running" when it was.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import mysql from "mysql2/promise";
import { freshDatabaseUrl, tempDir, testEngines } from "./support/engines.js";
import { baseEnv, piccolo, type CliResult } from "./support/cli.js";
import { startPrivatePostgres, type PrivateServer } from "./support/fault-servers.js";

const runId = (process.env.PICCOLO_TEST_RUN_ID ?? "pt_local").toLowerCase();
const RAW_CODES = /3D000|28P01|28000|ER_[A-Z_]+|SQLITE_[A-Z_]+|errno|\b1045\b|\b1049\b/;

/** One line on stderr, exit 1, the named cause; no raw code, no advice to start a running server. */
function assertNamed(result: CliResult, shownUrl: string, words: RegExp): string {
  const show = `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
  assert.equal(result.code, 1, show);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, show);
  const line = lines[0]!;
  assert.ok(line.startsWith(`The command failed. Cannot connect to the database at ${shownUrl}: `), show);
  assert.match(line, words, show);
  assert.doesNotMatch(line, RAW_CODES, show);
  assert.doesNotMatch(line, /server is running/, show);
  return line;
}

/** Runs the command the message printed after "Create it with: " exactly as printed, in a shell. */
function runPrintedCommand(line: string): void {
  const command = /Create it with: (.+?) \((?:or|mysql)/.exec(line)?.[1];
  assert.ok(command, `no command in: ${line}`);
  const result = spawnSync("sh", ["-c", command], { encoding: "utf8", env: baseEnv(), timeout: 60_000 });
  assert.equal(result.status, 0, `${command}\n${result.stdout}${result.stderr}`);
}

const servers: PrivateServer[] = [];
after(async () => {
  for (const server of servers) await server.destroy();
});

describe("connection causes, named in words", { concurrency: false }, () => {
  if (testEngines.includes("sqlite")) {
    test("sqlite: a folder that does not exist, and a file that is not a database", async () => {
      const dir = tempDir();
      const missing = path.join(dir, "no-such-folder", "app.sqlite");
      const line = assertNamed(
        await piccolo(["--db", `sqlite:${missing}`, "migrations", "forwards", "user"]),
        missing,
        /cannot open the SQLite file: the folder .*no-such-folder does not exist\. Create the folder/,
      );
      assert.ok(!line.includes("Check the SQLite file's path"), line);

      const notDb = path.join(dir, "notes.sqlite");
      writeFileSync(notDb, "these are notes, not a database ".repeat(200));
      assertNamed(await piccolo(["--db", notDb, "migrations", "forwards", "user"]), notDb, /the file is not a SQLite database/);
    });
  }

  if (testEngines.includes("postgres")) {
    test("postgres: a missing database (3D000), created by the printed command; a missing role (28000)", async () => {
      const name = `${runId}_missing_${randomBytes(3).toString("hex")}`;
      const url = `postgres://postgres@127.0.0.1:5432/${name}`;
      const line = assertNamed(
        await piccolo(["--db", url, "user", "list"]),
        url,
        new RegExp(`the database "${name}" does not exist on the server\\. Create it with: createdb -h 127\\.0\\.0\\.1 -p 5432 -U postgres ${name} `),
      );
      runPrintedCommand(line);
      const migrated = await piccolo(["--db", url, "migrations", "forwards", "user"]);
      assert.equal(migrated.code, 0, migrated.stderr);

      const role = `${runId}_nobody`;
      const roleUrl = `postgres://${role}:role-Secret-1@127.0.0.1:5432/postgres`;
      const denied = assertNamed(
        await piccolo(["--db", roleUrl, "user", "list"]),
        `postgres://${role}:***@127.0.0.1:5432/postgres`,
        new RegExp(`access denied: the role "${role}" does not exist on the server`),
      );
      assert.ok(!denied.includes("role-Secret-1"));
    });

    test("postgres: a wrong password (28P01) and a pg_hba.conf rejection (28000) on a private server", async () => {
      const server = await startPrivatePostgres();
      servers.push(server);
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      try {
        await admin.query("CREATE ROLE alice LOGIN PASSWORD 'alice-Right-1'");
        await admin.query("CREATE ROLE mallory LOGIN PASSWORD 'mallory-Right-1'");
        const hba = (await admin.query<{ hba_file: string }>("SHOW hba_file")).rows[0]!.hba_file;
        writeFileSync(
          hba,
          "host all postgres 127.0.0.1/32 trust\nhost all mallory 127.0.0.1/32 reject\nhost all all 127.0.0.1/32 scram-sha-256\n",
        );
        await admin.query("SELECT pg_reload_conf()");
      } finally {
        await admin.end();
      }
      const wrong = `postgres://alice:alice-Wrong-1@127.0.0.1:${server.port}/piccolo`;
      const line = assertNamed(
        await piccolo(["--db", wrong, "user", "list"]),
        `postgres://alice:***@127.0.0.1:${server.port}/piccolo`,
        /authentication failed for user "alice": wrong password\. Check the user name and password/,
      );
      assert.ok(!line.includes("alice-Wrong-1"));
      const right = await piccolo(["--db", `postgres://alice:alice-Right-1@127.0.0.1:${server.port}/piccolo`, "migrations", "check"]);
      assert.equal(right.code, 0, right.stderr);

      assertNamed(
        await piccolo(["--db", `postgres://mallory:mallory-Right-1@127.0.0.1:${server.port}/piccolo`, "user", "list"]),
        `postgres://mallory:***@127.0.0.1:${server.port}/piccolo`,
        /access denied for user "mallory": the server's pg_hba\.conf does not allow this connection/,
      );
    });
  }

  if (testEngines.includes("mysql")) {
    test("mysql: a missing database, created by the printed command; a wrong password; no access to a database", async () => {
      const name = `${runId}_missing_${randomBytes(3).toString("hex")}`;
      const url = `mysql://root@127.0.0.1:3306/${name}`;
      const line = assertNamed(
        await piccolo(["--db", url, "user", "list"]),
        url,
        new RegExp(`the database "${name}" does not exist on the server\\. Create it with: mariadb -h 127\\.0\\.0\\.1 -P 3306 -u root -e `),
      );
      runPrintedCommand(line);
      const migrated = await piccolo(["--db", url, "migrations", "forwards", "user"]);
      assert.equal(migrated.code, 0, migrated.stderr);

      const user = `${runId}_u`.slice(0, 32);
      const other = await freshDatabaseUrl("mysql");
      const admin = await mysql.createConnection({ uri: "mysql://root@127.0.0.1:3306/" });
      try {
        await admin.query("CREATE USER ?@'127.0.0.1' IDENTIFIED BY 'bob-Right-1'", [user]);
        await admin.query("CREATE USER ?@'localhost' IDENTIFIED BY 'bob-Right-1'", [user]);
        const wrong = `mysql://${user}:bob-Wrong-1@127.0.0.1:3306/${name}`;
        const failed = assertNamed(
          await piccolo(["--db", wrong, "user", "list"]),
          `mysql://${user}:***@127.0.0.1:3306/${name}`,
          new RegExp(`authentication failed for user "${user}": wrong password, or no such user for this host\\. Check the user name and password`),
        );
        assert.ok(!failed.includes("bob-Wrong-1"));

        const otherName = new URL(other).pathname.slice(1);
        assertNamed(
          await piccolo(["--db", `mysql://${user}:bob-Right-1@127.0.0.1:3306/${otherName}`, "user", "list"]),
          `mysql://${user}:***@127.0.0.1:3306/${otherName}`,
          new RegExp(`access denied: user "${user}" may not use the database "${otherName}"`),
        );
      } finally {
        await admin.query("DROP USER IF EXISTS ?@'127.0.0.1'", [user]);
        await admin.query("DROP USER IF EXISTS ?@'localhost'", [user]);
        await admin.end();
      }
    });
  }
});
