// The database server stops mid-run and comes back, on PostgreSQL and MariaDB: private servers of this
// test (test/support/fault-servers.ts), never the shared ones. While the server is down every API call
// raises DatabaseConnectionError (promptly: no hang) and every command prints one line and exits 1;
// calls in flight when it stops end the same way; once it is back, the very next call succeeds on the
// same process's connection pool, and nothing stored was lost.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { BaseUser, DatabaseConnectionError, closeDatabases, migrateForwards, migrationStatus, type PiccoloError } from "piccolo-ts";
import { piccolo, type CliResult } from "./support/cli.js";
import { testEngines } from "./support/engines.js";
import { startPrivateMariadb, startPrivatePostgres, type PrivateServer } from "./support/fault-servers.js";
import { holdUserTable } from "./support/table-lock.js";
import { waitUntilNoConnectionsTo } from "./support/sockets.js";

/** A call against a stopped server must fail within this (the drivers' connect timeouts are 10 s). */
const DOWN_CALL_LIMIT_MS = 15_000;

after(async () => {
  await closeDatabases();
});

// An error event nobody listens to is an uncaught exception: in an application, the process dies.
const uncaught: string[] = [];
process.on("uncaughtException", (error) => uncaught.push(`uncaughtException: ${error.message}`));
process.on("unhandledRejection", (error) => uncaught.push(`unhandledRejection: ${(error as Error)?.message ?? String(error)}`));
async function assertNothingUncaught(when: string, port: number): Promise<void> {
  // Socket 'end' and 'error' events arrive after the failed calls: wait until every connection to the
  // stopped server has been closed on our side, so each of those events has been handled (or escaped).
  await waitUntilNoConnectionsTo(port);
  assert.deepEqual(uncaught.splice(0), [], `${when}: the library let an error escape (a real application would have crashed)`);
}

async function failsWithConnectionError(what: string, call: () => Promise<unknown>): Promise<PiccoloError> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    call().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<{ hang: true }>((resolve) => {
      timer = setTimeout(() => resolve({ hang: true }), DOWN_CALL_LIMIT_MS + 5_000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.ok(!("hang" in outcome), `${what}: still waiting after ${DOWN_CALL_LIMIT_MS + 5_000} ms with the server down`);
  assert.ok("error" in outcome, `${what}: succeeded with the server down`);
  const { error } = outcome as { error: unknown };
  assert.ok(error instanceof DatabaseConnectionError, `${what}: expected DatabaseConnectionError, got ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  assert.ok(Date.now() - started <= DOWN_CALL_LIMIT_MS, `${what}: took ${Date.now() - started} ms to fail`);
  return error;
}

function assertOneLineFailure(result: CliResult, what: string): void {
  const show = `exit ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
  assert.equal(result.code, 1, `${what}: ${show}`);
  assert.equal(result.stdout, "", `${what}: printed results: ${show}`);
  const lines = result.stderr.split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 1, `${what}: not exactly one line on stderr: ${show}`);
  assert.match(lines[0]!, /^The command failed\. Cannot connect to the database at /, `${what}: ${show}`);
}

const starters = { postgres: startPrivatePostgres, mysql: startPrivateMariadb } as const;

for (const engine of testEngines.filter((e): e is "postgres" | "mysql" => e !== "sqlite")) {
  describe(`a private ${engine} server stopped and restarted mid-run`, { timeout: 300_000 }, () => {
    let server: PrivateServer;
    class T extends BaseUser {
      static override iterations = 1;
    }
    let bobId: number;

    before(async () => {
      // If this machine cannot run a private server, the test fails with the reason (it does not skip).
      server = await starters[engine]();
      await migrateForwards("user", { database: server.url });
      T.database = server.url;
      T.logger = { warn: () => {} };
      bobId = (await T.createUser({ username: "bob", password: "abc123", email: "bob@example.com" })).id;
      assert.equal(await T.login("bob", "abc123"), bobId);
    });
    after(async () => {
      await server?.destroy();
    });

    test("stopped: every API call raises DatabaseConnectionError promptly; every command prints one line and exits 1", async () => {
      await server.stop();
      const calls: [string, () => Promise<unknown>][] = [
        ["login", () => T.login("bob", "abc123")],
        ["createUser", () => T.createUser({ username: "carol", password: "abc123", email: "carol@example.com" })],
        ["getUser", () => T.getUser("bob")],
        ["listUsers", () => T.listUsers()],
        ["countUsers", () => T.countUsers()],
        ["updatePassword", () => T.updatePassword("bob", "n3w-secret")],
        ["changePermissions", () => T.changePermissions("bob", { admin: true })],
        ["checkPasswords", () => T.checkPasswords()],
        ["migrateForwards", () => migrateForwards("user", { database: server.url })],
        ["migrationStatus", () => migrationStatus({ database: server.url })],
      ];
      for (const [what, call] of calls) {
        const error = await failsWithConnectionError(what, call);
        assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${server.port}`), `${what}: the message names the server`);
      }
      for (const args of [
        ["user", "list"],
        ["user", "create", "--username=carol", "--password=abc123", "--email=c@example.com", "--is_admin=f", "--is_superuser=f", "--is_active=t"],
        ["user", "change_permissions", "bob", "--admin=t"],
        ["user", "change_password", "bob", "--password=n3w-secret"],
        ["migrations", "forwards", "user"],
        ["migrations", "check"],
      ]) {
        const result = await piccolo(["--db", server.url, ...args], { timeoutMs: 60_000 });
        assertOneLineFailure(result, `piccolo ${args.join(" ")}`);
      }
      await assertNothingUncaught("server stopped", server.port);
    });

    test("restarted: the very next call on the same pool succeeds, and nothing was lost", async () => {
      await server.start();
      assert.equal(await T.login("bob", "abc123"), bobId, "the first call after the restart");
      assert.equal((await T.getUser("bob"))?.id, bobId);
      const carol = await T.createUser({ username: "carol", password: "abc123", email: "carol@example.com" });
      assert.equal(await T.login("carol", "abc123"), carol.id);
      assert.equal(await T.countUsers(), 2);
      const list = await piccolo(["--db", server.url, "user", "list", "--json"]);
      assert.equal(list.code, 0, list.stderr);
    });

    test("stopped while calls are in flight (seen waiting at the server): each ends with its result or DatabaseConnectionError, then the pool recovers", async (t) => {
      // Another session locks the user table, so every call below is provably still running when the server
      // stops: its query waits on the lock at the server (seen in the server's own list of sessions) or
      // for a pooled connection behind those.
      // The pool's connections are opened first: a new PostgreSQL backend started while the lock is held
      // may itself wait (seen after a restart), which would keep the calls from reaching the server.
      await Promise.all(Array.from({ length: 10 }, () => T.listUsers()));
      const lock = await holdUserTable(server.url);
      const settled: string[] = [];
      const inFlight = Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? T.login("bob", "abc123") : T.listUsers()).then(
          (value) => (settled.push(`call ${i}`), { value }),
          (error: unknown) => (settled.push(`call ${i}`), { error }),
        ),
      );
      const waiting = await lock.waitForBlockedQueries(5);
      t.diagnostic(`queries waiting on the lock at the server when it stopped: ${waiting}`);
      assert.deepEqual(settled, [], "calls ended before the server stopped");
      await server.stop();
      const outcomes = await Promise.all(inFlight);
      await lock.release();
      // A shutdown may end the locking session first and let a waiting query finish: then its result is right.
      let cutOff = 0;
      outcomes.forEach((outcome, i) => {
        if ("value" in outcome) {
          if (i % 2 === 0) assert.equal(outcome.value, bobId, `call ${i}: a login that finished gave the wrong result`);
          else assert.ok(Array.isArray(outcome.value), `call ${i}: a listing that finished gave no list`);
          return;
        }
        cutOff++;
        assert.ok(
          outcome.error instanceof DatabaseConnectionError,
          `call ${i}, cut off by the stop: ${(outcome.error as Error)?.constructor?.name}: ${(outcome.error as Error)?.message}`,
        );
      });
      t.diagnostic(`calls cut off by the stop: ${cutOff} of ${outcomes.length}`);
      await failsWithConnectionError("login while down", () => T.login("bob", "abc123"));
      await assertNothingUncaught("server stopped with calls in flight", server.port);
      await server.start();
      assert.equal(await T.login("bob", "abc123"), bobId, "the first call after the second restart");
      assert.equal(await T.countUsers(), 2);
    });
  });
}
