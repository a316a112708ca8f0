// A session of the test's own that locks piccolo_user on a PostgreSQL or MySQL/MariaDB server, so that
// queries on the table wait at the server; and the server's own view of how many do. A fault test uses it
// to know, not guess, that calls were in flight when something happened.
import pg from "pg";
import mysql from "mysql2/promise";

export interface TableLock {
  /** Resolves with the number of other sessions waiting on the lock once there are at least `n`. */
  waitForBlockedQueries(n: number, timeoutMs?: number): Promise<number>;
  /** Ends the locking session (quietly, if the server is gone). */
  release(): Promise<void>;
}

export async function holdUserTable(url: string, table = "piccolo_user"): Promise<TableLock> {
  const poll = async (count: () => Promise<number>, n: number, timeoutMs: number, sessions: () => Promise<unknown>): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const waiting = await count();
      if (waiting >= n) return waiting;
      if (Date.now() > deadline) {
        throw new Error(`only ${waiting} queries waited on the lock of ${table} after ${timeoutMs} ms; the server's sessions: ${JSON.stringify(await sessions())}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  if (url.startsWith("postgres")) {
    const client = new pg.Client({ connectionString: url });
    client.on("error", () => {}); // the server going away is the point
    await client.connect();
    await client.query("BEGIN");
    await client.query(`LOCK TABLE "${table}" IN ACCESS EXCLUSIVE MODE`);
    return {
      waitForBlockedQueries: (n, timeoutMs = 30_000) =>
        poll(async () => {
          const { rows } = await client.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'",
          );
          return Number(rows[0]!.n);
        }, n, timeoutMs, async () =>
          (await client.query("SELECT state, wait_event_type, wait_event, left(query, 60) AS query FROM pg_stat_activity WHERE datname = current_database()")).rows,
        ),
      release: async () => {
        await client.end().catch(() => {});
      },
    };
  }

  const connection = await mysql.createConnection({ uri: url });
  connection.on("error", () => {});
  await connection.query(`LOCK TABLES \`${table}\` WRITE`);
  return {
    waitForBlockedQueries: (n, timeoutMs = 30_000) =>
      poll(async () => {
        const [rows] = await connection.query(
          "SELECT count(*) AS n FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND state LIKE 'Waiting for table%lock'",
        );
        return Number((rows as { n: number }[])[0]!.n);
      }, n, timeoutMs, async () =>
        (await connection.query("SELECT command, state, left(info, 60) AS query FROM information_schema.processlist WHERE db = DATABASE()"))[0],
      ),
    release: async () => {
      try {
        connection.destroy();
      } catch {
        // already gone
      }
    },
  };
}
