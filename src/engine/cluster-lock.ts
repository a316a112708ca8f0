// A migration lock that holds across a multi-primary cluster.
//
// On Galera, GET_LOCK() is local to the node that took it: two processes migrating through two nodes both
// get "their" lock and run the same DDL at once. Here the lock is a row instead: inserting the one row with
// the lock's key conflicts on every node (a duplicate key where the row has arrived; a certification
// failure, error 1213, where both inserts raced), so exactly one process holds it. The others wait and try
// again. The holder refreshes the row's expiry while it works and deletes it at the end; a row left by a
// process that died is taken over once it has expired. CockroachDB and YugabyteDB, which have no advisory
// locks either, would need the same design.
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { isCertificationFailure } from "./mysql-cluster.js";
import { MigrationError } from "../errors.js";
import { randomBytes } from "node:crypto";

export const CLUSTER_LOCK_TABLE = "piccolo_migration_lock";
const LOCK_KEY = "migrations";
/** How long the row stays valid without a refresh: a dead holder blocks others at most this long. */
const LEASE_SECONDS = 30;
const REFRESH_MS = 5_000;
/** How long to wait for a live holder before giving up. */
const WAIT_SECONDS = 120;

const isDuplicateKey = (error: unknown) => (error as { errno?: number } | null)?.errno === 1062;

/** True when the connection's server replicates with Galera (wsrep_on), where GET_LOCK is node-local. */
export async function isGaleraSession(db: Kysely<any>): Promise<boolean> {
  const { rows } = await sql<{ Value?: string }>`SHOW VARIABLES LIKE 'wsrep_on'`.execute(db);
  return rows[0]?.Value === "ON";
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `statement`, again after a short pause each time it loses certification (nothing was written then). */
async function retryingCertification<T>(statement: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      if (!isCertificationFailure(error) || attempt >= 20) throw error;
      await sleep(20 + Math.random() * 80);
    }
  }
}

/**
 * Holds the cluster-wide migration lock of the database around `work`. `db` is the connection the work
 * runs on (the lock's own statements run on it in autocommit, before and after); `refresher` is any other
 * way to the same database (the pool), used to keep the lease alive while `work` runs.
 */
export async function withClusterLock<T>(
  db: Kysely<any>,
  refresher: Kysely<any>,
  work: () => Promise<T>,
  options: { waitSeconds?: number; leaseSeconds?: number } = {},
): Promise<T> {
  const owner = `${process.pid}-${randomBytes(6).toString("hex")}`;
  const lease = options.leaseSeconds ?? LEASE_SECONDS;
  await acquire(db, owner, lease, options.waitSeconds ?? WAIT_SECONDS);
  let lost = false;
  const timer = setInterval(() => {
    sql`UPDATE ${sql.table(CLUSTER_LOCK_TABLE)} SET expires_at = UNIX_TIMESTAMP(NOW(3)) + ${lease}
        WHERE lock_key = ${LOCK_KEY} AND owner = ${owner}`
      .execute(refresher)
      .then((result) => {
        if (Number(result.numAffectedRows ?? 1n) === 0) lost = true;
      })
      .catch(() => {}); // the next refresh tries again; the lease outlasts several misses
  }, Math.min(REFRESH_MS, (lease * 1000) / 3));
  timer.unref();
  try {
    const result = await work();
    if (lost) throw new MigrationError("The migration lock expired while migrations ran (a refresh did not reach the database); run the command again.");
    return result;
  } finally {
    clearInterval(timer);
    await retryingCertification(() =>
      sql`DELETE FROM ${sql.table(CLUSTER_LOCK_TABLE)} WHERE lock_key = ${LOCK_KEY} AND owner = ${owner}`.execute(db),
    ).catch(() => {}); // if this fails the lease expires on its own
  }
}

async function acquire(db: Kysely<any>, owner: string, lease: number, waitSeconds: number): Promise<void> {
  // DDL is replicated to every node in order (total order isolation), so concurrent creators agree.
  await sql`CREATE TABLE IF NOT EXISTS ${sql.table(CLUSTER_LOCK_TABLE)} (
      lock_key VARCHAR(64) NOT NULL PRIMARY KEY,
      owner VARCHAR(64) NOT NULL,
      expires_at DECIMAL(16, 3) NOT NULL
    ) ENGINE=InnoDB`.execute(db);
  const deadline = Date.now() + waitSeconds * 1000;
  let waited = false;
  for (let pause = 20; ; pause = Math.min(pause * 2, 200)) {
    try {
      await sql`INSERT INTO ${sql.table(CLUSTER_LOCK_TABLE)} (lock_key, owner, expires_at)
          VALUES (${LOCK_KEY}, ${owner}, UNIX_TIMESTAMP(NOW(3)) + ${lease})`.execute(db);
      return;
    } catch (error) {
      if (!isDuplicateKey(error) && !isCertificationFailure(error)) throw error;
    }
    if (!waited && process.env.PICCOLO_DEBUG) {
      process.stderr.write("piccolo: the migration lock is held by another process; waiting for it\n");
    }
    waited = true;
    // Held by someone: if their lease ran out (the process died), take the row away; the insert retries.
    await retryingCertification(() =>
      sql`DELETE FROM ${sql.table(CLUSTER_LOCK_TABLE)} WHERE lock_key = ${LOCK_KEY} AND expires_at < UNIX_TIMESTAMP(NOW(3))`.execute(db),
    );
    if (Date.now() > deadline) {
      throw new MigrationError(
        `Another process has been running migrations on this database for over ${waitSeconds} seconds; try again later.`,
      );
    }
    await sleep(pause / 2 + Math.random() * pause);
  }
}
