// @variants: galera
// piccolo-ts on a 3-node MariaDB Galera cluster (scripts/galera.sh), with each app instance on its own node
// or one multi-host URL over all three: migrations race through two nodes, creates of one username race
// through three, reads see writes made through another node at once, and logins go on while a node is
// killed. Runs in the runner's galera pass (PICCOLO_TEST_ENGINES=galera); defined only there.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import {
  BaseUser,
  UserExistsError,
  closeDatabases,
  connect,
  migrateForwards,
  migrationStatus,
  parseDatabaseUrl,
  type Database,
} from "piccolo-ts";
import { sql } from "kysely";
import { piccolo } from "./support/cli.js";
import { databaseNameOf, freshDatabaseUrl, galeraHosts, testVariant } from "./support/engines.js";
import { clusterSizes, nodePid, nodeUrl, startCluster, statusOf, statusQuery, waitForExit } from "./support/galera.js";

after(async () => {
  await closeDatabases();
});

const startTogether = new URL("./support/start-together.js", import.meta.url).href;

/** A BaseUser class bound to one URL (a node, or the cluster). */
function userClass(url: string) {
  return class extends BaseUser {
    static override iterations = 1;
    static override database = url;
  };
}

/** Certification conflicts and brute-force aborts so far, over every node (inserts on two nodes that really met). */
async function clusterConflicts(): Promise<number> {
  let total = 0;
  for (let index = 0; index < galeraHosts.length; index++) {
    total += Number(await statusOf(index, "wsrep_local_cert_failures"));
    total += Number(await statusOf(index, "wsrep_local_bf_aborts"));
  }
  return total;
}

/** An opt-in app: `forwards all` leaves it alone, so it is not expected to have run. */
const OPT_IN_APP = "user_case_insensitive";

if (testVariant === "galera") {
  describe("migrations on Galera", { timeout: 600_000 }, () => {
    test("10 rounds of two `piccolo migrations forwards all` on two nodes: both exit 0, each migration once, the schema complete, the runs overlapped", async (t) => {
      let overlapped = 0;
      for (let round = 0; round < 10; round++) {
        const name = databaseNameOf(await freshDatabaseUrl("mysql"));
        // Both processes begin loading the CLI at the same moment (see support/start-together.ts).
        // PICCOLO_DEBUG: a process that finds the lock held says so on stderr.
        const env = { NODE_OPTIONS: `--import=${startTogether}`, PICCOLO_TEST_START_AT: String(Date.now() + 400), PICCOLO_DEBUG: "1" };
        const [a, b] = await Promise.all([
          piccolo(["--db", nodeUrl(name, 0), "migrations", "forwards", "all"], { timeoutMs: 120_000, env }),
          piccolo(["--db", nodeUrl(name, 1), "migrations", "forwards", "all"], { timeoutMs: 120_000, env }),
        ]);
        for (const result of [a, b]) assert.equal(result.code, 0, `round ${round}: exit ${result.code}\n${result.all}`);
        const status = (await migrationStatus({ database: nodeUrl(name, 2) })).filter((m) => m.app !== OPT_IN_APP);
        assert.ok(status.length >= 4 && status.every((m) => m.ran), `round ${round}: every migration ran`);
        const db = await connect(parseDatabaseUrl(nodeUrl(name, 2)));
        try {
          const rows = await db.kysely.selectFrom("migration").select(["app_name", "name"]).execute();
          assert.deepEqual(
            rows.map((row) => `${row.app_name}/${row.name}`).sort(),
            status.map((m) => `${m.app}/${m.id}`).sort(),
            `round ${round}: each migration recorded exactly once`,
          );
          const user = await db.kysely.selectFrom("piccolo_user").selectAll().limit(1).execute();
          assert.deepEqual(user, []);
          const columns = await db.kysely.introspection.getTables();
          const userColumns = columns.find((t) => t.name === "piccolo_user")?.columns.map((c) => c.name).sort();
          assert.deepEqual(userColumns, ["active", "admin", "email", "first_name", "id", "last_login", "last_name", "password", "superuser", "username"]);
          assert.ok(columns.some((t) => t.name === "sessions"), "the sessions table exists");
          const lock = await db.kysely.selectFrom("piccolo_migration_lock").selectAll().execute();
          assert.deepEqual(lock, [], "the lock was released");
        } finally {
          await db.close();
        }
        // Between them each migration started once ("Running <id>", then "<id> was run meanwhile…" when the
        // other process got there first).
        const runningOf = (r: typeof a) => r.stdout.split("\n").filter((line) => line.startsWith("Running ")).length;
        const skippedOf = (r: typeof a) => r.stdout.split("\n").filter((line) => line.includes(" was run meanwhile by another process")).length;
        assert.equal(runningOf(a) + runningOf(b) - skippedOf(a) - skippedOf(b), status.length, `round ${round}: each migration ran once\n${a.stdout}\n---\n${b.stdout}`);
        // The runs overlapped when one process waited for the lock the other held.
        if (`${a.stderr}${b.stderr}`.includes("the migration lock is held by another process")) overlapped++;
      }
      t.diagnostic(`the two processes overlapped in ${overlapped} of 10 rounds`);
      assert.ok(overlapped >= 8, `the two processes overlapped in only ${overlapped} of 10 rounds`);
    });
  });

  test("a lock row left by a process that died is taken over once its lease has run out", async () => {
    const name = databaseNameOf(await freshDatabaseUrl("mysql"));
    const db = await connect(parseDatabaseUrl(nodeUrl(name, 0)));
    try {
      await sql`CREATE TABLE piccolo_migration_lock (lock_key VARCHAR(64) NOT NULL PRIMARY KEY, owner VARCHAR(64) NOT NULL,
        expires_at DECIMAL(16, 3) NOT NULL) ENGINE=InnoDB`.execute(db.kysely);
      // As if a migrating process had been killed: its lease ends 2 seconds from now.
      await sql`INSERT INTO piccolo_migration_lock VALUES ('migrations', 'killed-process', UNIX_TIMESTAMP(NOW(3)) + 2)`.execute(db.kysely);
      const result = await piccolo(["--db", nodeUrl(name, 1), "migrations", "forwards", "all"], { timeoutMs: 60_000, env: { PICCOLO_DEBUG: "1" } });
      assert.equal(result.code, 0, result.all);
      assert.match(result.stderr, /the migration lock is held by another process/, "it found the dead process's lock and waited");
      const status = (await migrationStatus({ database: nodeUrl(name, 2) })).filter((m) => m.app !== OPT_IN_APP);
      assert.ok(status.every((m) => m.ran), "then ran every migration");
      assert.deepEqual((await db.kysely.selectFrom("piccolo_migration_lock").selectAll().execute()), [], "and the lock was released");
    } finally {
      await db.close();
    }
  });

  describe("users on Galera", { timeout: 300_000 }, () => {
    let name: string;
    let clusterUrl: string;
    const nodes: Array<typeof BaseUser> = [];

    before(async () => {
      clusterUrl = await freshDatabaseUrl("mysql");
      name = databaseNameOf(clusterUrl);
      await migrateForwards("all", { database: clusterUrl });
      for (let index = 0; index < galeraHosts.length; index++) nodes.push(userClass(nodeUrl(name, index)));
    });

    test("50 racing creates of one username across the three nodes, three rounds: one row, 49 UserExistsError, no raw error", async (t) => {
      const conflictsBefore = await clusterConflicts();
      for (let round = 0; round < 3; round++) {
        const username = `racer${round}`;
        const started: number[] = [];
        const finished: number[] = [];
        const results = await Promise.allSettled(
          Array.from({ length: 50 }, async (_, i) => {
            started.push(performance.now());
            try {
              return await nodes[i % nodes.length]!.createUser({ username, password: `pass-${i}-word`, email: `${username}-${i}@example.com` });
            } finally {
              finished.push(performance.now());
            }
          }),
        );
        assert.ok(Math.max(...started) < Math.min(...finished), "every create started before the first one finished");
        const created = results.filter((r) => r.status === "fulfilled");
        assert.equal(created.length, 1, "exactly one create succeeds");
        for (const r of results) {
          if (r.status === "rejected") {
            assert.ok(r.reason instanceof UserExistsError, `not a UserExistsError: ${String(r.reason)} ${String(r.reason?.cause?.message)}`);
            assert.equal(r.reason.field, "username");
          }
        }
        for (let index = 0; index < nodes.length; index++) {
          assert.equal(await nodes[index]!.countUsers({ search: username }), 1, `one row, seen from node ${index + 1}`);
        }
      }
      // Whether inserts on two nodes met at certification depends on timing; say how often they did.
      t.diagnostic(`certification conflicts and brute-force aborts during the races: ${(await clusterConflicts()) - conflictsBefore}`);
    });

    test("read-your-writes across nodes under load: a new user logs in at once elsewhere; an old password is refused at once", async () => {
      let load = true;
      // Background logins (reads and last_login writes) on every node while the checks run, each loader as
      // its own user: the load is there to keep the nodes busy applying each other's writes.
      const loadUsers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => nodes[0]!.createUser({ username: `load${i}`, password: "load-pass", email: `load${i}@example.com` })),
      );
      const loaders = loadUsers.map(async (loadUser, i) => {
        let count = 0;
        while (load) {
          assert.equal(await nodes[i % 3]!.login(loadUser.username, "load-pass"), loadUser.id);
          count++;
        }
        return count;
      });
      const loadDone = Promise.allSettled(loaders); // observed from the start: a failing loader fails the test below
      try {
        for (let i = 0; i < 60; i++) {
          const [a, b, c] = [nodes[i % 3]!, nodes[(i + 1) % 3]!, nodes[(i + 2) % 3]!];
          const user = await a.createUser({ username: `ryw${i}`, password: "first-pass", email: `ryw${i}@example.com` });
          assert.equal(await b.login(`ryw${i}`, "first-pass"), user.id, `round ${i}: created on one node, logs in on the next at once`);
          await b.updatePassword(user.id, "second-pass");
          assert.equal(await c.login(`ryw${i}`, "first-pass"), null, `round ${i}: the old password is refused at once on the third node`);
          assert.equal(await a.login(`ryw${i}`, "second-pass"), user.id, `round ${i}: the new one works at once`);
        }
      } finally {
        load = false;
        await loadDone;
      }
      const counts = await Promise.all(loaders);
      assert.ok(counts.every((n) => n > 0), "the background load ran during the checks");
    });

    test("a read in flight on a node that is killed is answered by another node (retried once, elsewhere)", async () => {
      const db = await connect(parseDatabaseUrl(clusterUrl));
      let pid = 0;
      try {
        const marker = `inflight_${Date.now()}`;
        // A plain read that takes a few seconds (MariaDB's sequence engine), tagged so it can be found.
        const read = sql<{ port: number; n: number; tag: string }>`SELECT @@port AS port,
            (SELECT COUNT(*) FROM seq_1_to_20000000 WHERE seq % 7 = 3) AS n, ${marker} AS tag`.execute(db.kysely);
        let victim = -1;
        for (let attempt = 0; attempt < 200 && victim < 0; attempt++) {
          for (let index = 0; index < galeraHosts.length && victim < 0; index++) {
            const running = await statusQuery(index, "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND INFO NOT LIKE '%PROCESSLIST%'", [`%${marker}%`]);
            if (Number(running) > 0) victim = index;
          }
          if (victim < 0) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.ok(victim >= 0, "the read was seen running on a node");
        pid = await nodePid(victim);
        process.kill(pid, "SIGKILL");
        const { rows } = await read;
        assert.equal(Number(rows[0]!.n), Math.floor((20_000_000 - 3) / 7) + 1, "the full answer");
        assert.notEqual(`127.0.0.1:${rows[0]!.port}`, galeraHosts[victim], "from another node");
      } finally {
        await db.close();
        if (pid) {
          await waitForExit(pid);
          await startCluster();
        }
      }
      assert.deepEqual(await clusterSizes(), [3, 3, 3], "the killed node rejoined");
    });

    test("failover: an 8-second login loop over the multi-host URL goes on while a node is killed (kill -9) 2 s in", async (t) => {
      const Cluster = userClass(clusterUrl);
      const user = await Cluster.createUser({ username: "failover", password: "failover-pass", email: "failover@example.com" });
      const victim = 1; // node 2
      const pid = await nodePid(victim);
      const started = Date.now();
      let inFlight = 0;
      let inFlightAtKill = -1;
      let killedAt = 0;
      const failures: string[] = [];
      let okAfterKill = 0;
      let lastOk = 0;
      let longestGap = 0;
      const killer = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        inFlightAtKill = inFlight;
        process.kill(pid, "SIGKILL");
        killedAt = Date.now();
      })();
      const workers = Array.from({ length: 4 }, async () => {
        while (Date.now() - started < 8000) {
          inFlight++;
          try {
            assert.equal(await Cluster.login("failover", "failover-pass"), user.id);
            const now = Date.now();
            if (lastOk) longestGap = Math.max(longestGap, now - lastOk);
            lastOk = now;
            if (killedAt && now > killedAt) okAfterKill++;
          } catch (error) {
            failures.push(`${(error as Error).name}: ${(error as Error).message}`);
          } finally {
            inFlight--;
          }
        }
      });
      await Promise.all([killer, ...workers]);
      t.diagnostic(`${failures.length} failed logins; ${okAfterKill} succeeded after the kill; longest gap between successes ${longestGap} ms`);
      try {
        assert.ok(inFlightAtKill > 0, "logins were in flight when the node was killed");
        await waitForExit(pid);
        assert.ok(failures.length <= 5, `${failures.length} logins failed:\n${failures.join("\n")}`);
        assert.ok(okAfterKill >= 20, `only ${okAfterKill} logins succeeded after the kill`);
        const sizes = await clusterSizes();
        assert.equal(sizes[victim], null, "the killed node is down");
        assert.deepEqual(sizes.filter((s) => s !== null), [2, 2], "the other two went on as a cluster of two");
      } finally {
        // Bring it back for whatever runs next; it rejoins by state transfer.
        await waitForExit(pid);
        await startCluster();
      }
      assert.deepEqual(await clusterSizes(), [3, 3, 3], "the killed node rejoined");
      assert.equal(await userClass(nodeUrl(name, victim)).login("failover", "failover-pass"), user.id, "and serves logins again");
    });
  });
}
