// Databases for the benchmark: a temp SQLite file and a fresh PostgreSQL database per role
// (`small`: a handful of users; `big`: 100 000), migrated with the package's own `user` migrations.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CompiledQuery } from "kysely";
import pg from "pg";

const PG_ADMIN = process.env.BENCH_POSTGRES_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const MYSQL_ADMIN = process.env.BENCH_MYSQL_ADMIN_URL ?? "mysql://root@127.0.0.1:3306/mysql";

export class Databases {
  constructor(pkg) {
    this.pkg = pkg;
    this.dir = mkdtempSync(path.join(tmpdir(), "piccolo-bench-"));
    this.pgNames = [];
    this.mysqlNames = [];
  }

  /** A new, empty database on `engine` named after `role`, as a URL piccolo-ts understands. */
  async create(engine, role) {
    if (engine === "sqlite") return `sqlite:${path.join(this.dir, `${role}.sqlite`)}`;
    const name = `piccolo_bench_${process.pid}_${role}`;
    if (engine === "mysql") {
      await mysqlAdmin(`DROP DATABASE IF EXISTS \`${name}\``);
      await mysqlAdmin(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
      this.mysqlNames.push(name);
      const url = new URL(MYSQL_ADMIN);
      url.pathname = `/${name}`;
      return url.toString();
    }
    if (engine !== "postgres") throw new Error(`unsupported engine ${engine}`);
    await adminQuery(`DROP DATABASE IF EXISTS "${name}"`);
    await adminQuery(`CREATE DATABASE "${name}"`);
    this.pgNames.push(name);
    const url = new URL(PG_ADMIN);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** A migrated database with the `user` app, through the package's own migration runner. */
  async createMigrated(engine, role) {
    const url = await this.create(engine, role);
    await this.pkg.migrateForwards("user", { database: url });
    return url;
  }

  async dropAll() {
    await this.pkg.closeDatabases();
    for (const name of this.pgNames.splice(0)) {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch((error) =>
        console.error(`could not drop ${name}: ${error.message}`),
      );
    }
    for (const name of this.mysqlNames.splice(0)) {
      await mysqlAdmin(`DROP DATABASE IF EXISTS \`${name}\``).catch((error) =>
        console.error(`could not drop ${name}: ${error.message}`),
      );
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function adminQuery(text) {
  const client = new pg.Client({ connectionString: PG_ADMIN });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function mysqlAdmin(text) {
  const { default: mysql } = await import("mysql2/promise");
  const connection = await mysql.createConnection({ uri: MYSQL_ADMIN });
  try {
    await connection.query(text);
  } finally {
    await connection.end();
  }
}

/** True when the engine's server answers (SQLite always does). */
export async function serverAvailable(engine) {
  try {
    if (engine === "postgres") await adminQuery("SELECT 1");
    if (engine === "mysql") await mysqlAdmin("SELECT 1");
    return true;
  } catch {
    return false;
  }
}

/**
 * Inserts `count` users that all share one stored hash (computing 100 000 PBKDF2 hashes would take
 * hours), in batches inside one transaction, through Kysely from `openDatabase(url)`.
 */
export async function bulkInsertUsers(pkg, url, count, storedHash, { prefix = "user", batch } = {}) {
  const db = await pkg.openDatabase(url);
  const flag = (value) => (db.engine === "postgres" ? value : value ? 1 : 0);
  // SQLite allows 32766 bound values per statement, PostgreSQL 65535: 9 columns a row.
  const rowsPerBatch = batch ?? (db.engine === "sqlite" ? 2000 : 5000);
  const started = performance.now();
  await db.kysely.transaction().execute(async (trx) => {
    for (let first = 0; first < count; first += rowsPerBatch) {
      const rows = [];
      for (let i = first; i < Math.min(count, first + rowsPerBatch); i++) {
        const n = String(i).padStart(6, "0");
        // A scrambled prefix so username order is not insertion (id) order.
        const key = ((i * 7919) % 1000).toString(36).padStart(2, "0");
        rows.push({
          username: `${key}_${prefix}_${n}`,
          password: storedHash,
          email: `${prefix}_${n}@example.com`,
          active: flag(true),
          admin: flag(false),
          superuser: flag(false),
          first_name: `First${n}`,
          last_name: `Last${n}`,
        });
      }
      await trx.insertInto("piccolo_user").values(rows).execute();
    }
  });
  // A table that grew to this size in service has been vacuumed and analysed by autovacuum; a bulk
  // load has not yet (no statistics, no visibility map): bring it to that steady state.
  if (db.engine === "postgres") await db.kysely.executeQuery(CompiledQuery.raw("VACUUM ANALYZE piccolo_user"));
  if (db.engine === "mysql") await db.kysely.executeQuery(CompiledQuery.raw("ANALYZE TABLE piccolo_user"));
  return performance.now() - started;
}
