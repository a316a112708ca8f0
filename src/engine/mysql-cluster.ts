// MySQL/MariaDB URLs naming several servers, as MariaDB's connectors accept them:
//   mysql://user:password@h1:3306,h2:3306,h3:3306/db?options
// One mysql2 pool per server behind a PoolCluster (round robin; a server that refuses a connection is left
// out for a second, then tried again), adapted to the pool interface Kysely's MysqlDialect drives.
//
// Failover rule: a statement that fails because its server went away is retried once on another server
// only when running it twice cannot change anything — a plain SELECT outside a transaction, or any
// statement that never left this process (the connection was already known to be closed). A write that
// reached a server that then died may have committed there, so it is never retried: the caller gets the
// connection error.
//
// Galera (any MySQL URL, one host or several): a commit on one node is certified everywhere before it
// returns, but applied on the other nodes a moment later, so a read on another node can miss it (measured:
// 452 of 4800 reads right after a write through another node, with 8 writers). Each session on a Galera
// node therefore sets wsrep_sync_wait = 3: reads, updates and deletes first wait until the node has applied
// everything committed before they started.
import type { Dialect } from "kysely";
import type { Pool, PoolCluster, PoolConnection, PoolOptions } from "mysql2";
import { MysqlDialect } from "kysely";
import { parseMultiHostMysqlUrl, singleHostUri } from "./mysql-hosts.js";

export { isMultiHostMysqlUrl, maskMultiHostPassword, parseMultiHostMysqlUrl } from "./mysql-hosts.js";

const GALERA_SYNC_WAIT = 3; // 1 = reads (SELECT, SHOW, BEGIN) + 2 = UPDATE and DELETE
/** How long a server that refused a connection is left out before it is tried again. */
const RESTORE_NODE_MS = 1000;

/**
 * Galera reports a transaction that lost certification (a conflicting write committed first on another
 * node) as a deadlock, error 1213, at COMMIT or at the next statement. Nothing of it was written.
 */
export function isCertificationFailure(error: unknown): boolean {
  const e = error as { errno?: number; code?: string } | null;
  return e?.errno === 1213 || e?.code === "ER_LOCK_DEADLOCK";
}

type Callback = (error: Error | null, result?: unknown, fields?: unknown) => void;
type Socketed = { stream?: { ref?: () => void; unref?: () => void } };
type ClusterConnection = PoolConnection & { _clusterId?: string };

/** Statements that read and lock nothing: running one twice returns the same answer and changes nothing. */
function isRepeatableRead(text: string): boolean {
  return /^\s*(select|show)\b/i.test(text) && !/\b(for\s+update|lock\s+in\s+share\s+mode|get_lock|release_lock|last_insert_id|sleep)\b/i.test(text);
}

/** The connection was already closed, so the statement was never sent. */
function neverSent(error: Error): boolean {
  return /closed state/i.test(error.message);
}

/** The server or the connection to it went away (as opposed to the server refusing the statement). */
function serverGone(error: Error & { code?: string; fatal?: boolean }): boolean {
  return (
    error.fatal === true ||
    ["PROTOCOL_CONNECTION_LOST", "ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT"].includes(error.code ?? "") ||
    /closed state|Connection lost/i.test(error.message)
  );
}

/** Re-runs one statement somewhere else (another server), once; absent for a single server. */
type Elsewhere = (failedNode: string | undefined, text: string, values: unknown[], callback: Callback) => void;

const CERTIFICATION_RETRIES = 16;

/**
 * What Kysely's MysqlDriver sees as a raw connection: a pooled connection that knows whether it is
 * inside a transaction, and re-runs what is safe to re-run: outside a transaction, a statement that lost
 * certification or a deadlock (it was rolled back whole, so it did not happen) on the same server, and a
 * repeatable read or a statement never sent (see the top of this file) on another server.
 */
class RetryingConnection {
  private inTransaction = false;

  constructor(
    readonly raw: ClusterConnection,
    private readonly elsewhere?: Elsewhere,
  ) {}

  query(text: string, values: unknown[], callback: Callback): void {
    const wasInTransaction = this.inTransaction;
    const keyword = /^\s*(\w+)/.exec(text)?.[1]?.toLowerCase();
    if (keyword === "begin" || /^\s*start\s+transaction\b/i.test(text)) this.inTransaction = true;
    // A failed COMMIT or ROLLBACK ends the transaction too (a certification failure rolls it back).
    if (keyword === "commit" || keyword === "rollback") this.inTransaction = false;
    const attempt = (tries: number) =>
      this.raw.query(text, values, (error: Error | null, result?: unknown, fields?: unknown) => {
        if (error && !wasInTransaction && keyword !== "commit" && keyword !== "rollback") {
          if (isCertificationFailure(error) && tries < CERTIFICATION_RETRIES) {
            // Backing off with jitter spreads writers of one hot row apart (e.g. last_login of one user).
            setTimeout(() => attempt(tries + 1), Math.random() * Math.min(2 ** tries * 4, 250));
            return;
          }
          if (this.elsewhere && serverGone(error) && (isRepeatableRead(text) || neverSent(error))) {
            this.elsewhere(this.raw._clusterId, text, values, callback);
            return;
          }
        }
        callback(error, result, fields);
      });
    attempt(1);
  }

  release(): void {
    this.inTransaction = false;
    // For a cluster the socket is let go here (and held again by whoever gets the connection next, even
    // straight from the pool's wait queue); a single server's pool does it with its own events.
    if (this.elsewhere) (this.raw as unknown as Socketed).stream?.unref?.();
    this.raw.release();
  }
}

/** The pool interface Kysely's MysqlDialect needs, over one server's pool: connections that retry. */
export function retryingPool(pool: Pool): unknown {
  const wrappers = new WeakMap<PoolConnection, RetryingConnection>();
  return {
    getConnection(callback: (error: Error | null, connection?: RetryingConnection) => void): void {
      pool.getConnection((error, connection) => {
        if (error) return callback(error);
        let wrapper = wrappers.get(connection);
        if (!wrapper) wrappers.set(connection, (wrapper = new RetryingConnection(connection)));
        callback(null, wrapper);
      });
    },
    end: (callback: (error?: Error | null) => void) => pool.end((error) => callback(error)),
  };
}

/** The pool interface Kysely's MysqlDialect needs, over a PoolCluster. */
class ClusterPool {
  private readonly wrappers = new WeakMap<PoolConnection, RetryingConnection>();

  constructor(private readonly cluster: PoolCluster) {}

  getConnection(callback: (error: Error | null, connection?: RetryingConnection) => void): void {
    this.cluster.getConnection("*", "RR", (error, connection) => {
      if (error) return callback(error);
      // Idle pooled sockets must not keep a finished script alive: hold the loop only while in use.
      (connection as unknown as Socketed).stream?.ref?.();
      let wrapper = this.wrappers.get(connection);
      if (!wrapper) {
        wrapper = new RetryingConnection(connection as ClusterConnection, (...args) => this.runElsewhere(...args));
        this.wrappers.set(connection, wrapper);
      }
      callback(null, wrapper);
    });
  }

  /** Runs one statement on a connection to any server but `failedNode`, once. */
  runElsewhere(failedNode: string | undefined, text: string, values: unknown[], callback: Callback): void {
    const others = failedNode ? new RegExp(`^(?!${failedNode.replace(/[^\w]/g, "\\$&")}$)`) : "*";
    this.cluster.getConnection(others as unknown as string, "RR", (error, connection) => {
      if (error || !connection) return callback(error ?? new Error("no other server"));
      (connection as unknown as Socketed).stream?.ref?.();
      connection.query(text, values, (queryError: Error | null, result?: unknown, fields?: unknown) => {
        (connection as unknown as Socketed).stream?.unref?.();
        connection.release();
        callback(queryError, result, fields);
      });
    });
  }

  end(callback: (error?: Error | null) => void): void {
    this.cluster.end((error) => callback(error));
  }
}

/** Kysely's raw connection interface, as far as session set-up needs it. */
interface RawQueryRunner {
  executeQuery(query: never): Promise<{ rows: unknown[] }>;
}

/** A fixed statement in the shape Kysely's MySQL connection runs (it reads only `sql` and `parameters`). */
const statement = (text: string) => ({ sql: text, parameters: [] }) as never;

/** Sets up each new session on a Galera node (see the top of this file); does nothing elsewhere. */
export async function prepareMysqlSession(connection: RawQueryRunner): Promise<void> {
  const { rows } = await connection.executeQuery(statement("SHOW VARIABLES LIKE 'wsrep_on'"));
  if ((rows[0] as { Value?: string } | undefined)?.Value === "ON") {
    await connection.executeQuery(statement(`SET SESSION wsrep_sync_wait = ${GALERA_SYNC_WAIT}`));
  }
}

/**
 * Kysely's MysqlDialect over a PoolCluster for a multi-host URL. `poolOptions` turns one server's URL
 * into the pool options a single-host URL gets (credentials, allowed URL options, charset, timeouts).
 */
export function clusterMysqlDialect(
  mysql: typeof import("mysql2"),
  url: string,
  poolOptions: (singleHostUrl: string) => PoolOptions,
): Dialect {
  const parts = parseMultiHostMysqlUrl(url);
  const cluster = mysql.createPoolCluster({
    canRetry: true,
    removeNodeErrorCount: 1,
    restoreNodeTimeout: RESTORE_NODE_MS,
    defaultSelector: "RR",
  });
  parts.hosts.forEach((host, index) => cluster.add(`node${index}`, poolOptions(singleHostUri(parts, host))));
  // Failed connection attempts are reported as 'warn' while another server is tried.
  cluster.on("warn", () => {});
  for (const node of Object.values((cluster as unknown as { _nodes: Record<string, { pool: Pool }> })._nodes)) {
    node.pool.on("connection", (connection) => connection.on("error", () => {}));
  }
  return new MysqlDialect({ pool: new ClusterPool(cluster) as never, onCreateConnection: prepareMysqlSession });
}
