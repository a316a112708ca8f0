// @variants: pgbouncer
// PostgreSQL behind PgBouncer in transaction pooling mode (scripts/pgbouncer.sh). The runner's pgbouncer pass
// runs the whole PostgreSQL suite with URLs through the bouncer; these tests show that the pass really goes
// through a transaction-mode pooler, and that piccolo-ts leaves no session state on a server connection
// that the pooler then hands to someone else. Defined only in that pass.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { BaseUser, closeDatabases, migrateForwards } from "piccolo-ts";
import { freshDatabaseUrl, testVariant } from "./support/engines.js";

after(async () => {
  await closeDatabases();
});

const pgAdmin = process.env.TEST_POSTGRES_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const backendPid = async (client: pg.Client) => Number((await client.query("SELECT pg_backend_pid() AS pid")).rows[0].pid);

if (testVariant === "pgbouncer") {
  test("the suite's URLs lead through a transaction-mode pooler: a finished transaction's server connection serves another client", async () => {
    const url = await freshDatabaseUrl("postgres");
    assert.notEqual(new URL(url).port, new URL(pgAdmin).port, "the URL is not the server's own");
    await withClient(url, async (first) =>
      withClient(url, async (second) => {
        await first.query("BEGIN");
        const firstServer = await backendPid(first);
        await first.query("COMMIT");
        // Still connected, `first` no longer owns a server connection: the next transaction anywhere may get it.
        let reused = false;
        for (let i = 0; i < 20 && !reused; i++) {
          await second.query("BEGIN");
          reused = (await backendPid(second)) === firstServer;
          await second.query("COMMIT");
        }
        assert.ok(reused, "the server connection of a finished transaction never went to another client (session pooling?)");
      }),
    );
  });

  test("migrations, logins and user changes through the pooler leave no advisory lock and no session setting behind", async () => {
    const url = await freshDatabaseUrl("postgres");
    const database = new URL(url).pathname.slice(1);
    await Promise.all([migrateForwards("all", { database: url }), migrateForwards("all", { database: url })]);
    class T extends BaseUser {
      static override iterations = 1000;
      static override database = url;
    }
    const user = await T.createUser({ username: "pooled", password: "pooled-pass", email: "pooled@example.com" });
    assert.equal(await T.login("pooled", "pooled-pass"), user.id);
    await T.updatePassword(user.id, "pooled-pass-2");
    assert.equal(await T.login("pooled", "pooled-pass-2"), user.id);
    // Seen from the server itself: no advisory lock is held in this database once the work is done, and no
    // server connection to it carries a non-default setting a session SET would have left.
    await withClient(pgAdmin, async (admin) => {
      const locks = await admin.query(
        "SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = $1",
        [database],
      );
      assert.equal(locks.rows[0].n, 0, "an advisory lock outlived its transaction");
    });
    await withClient(url, async (client) => {
      const settings = await client.query(
        "SELECT name FROM pg_settings WHERE source = 'session' AND name NOT IN ('application_name', 'client_encoding', 'DateStyle', 'TimeZone', 'extra_float_digits', 'standard_conforming_strings', 'IntervalStyle')",
      );
      assert.deepEqual(settings.rows, [], "a SET outside a transaction stayed on the server connection");
    });
  });
}
