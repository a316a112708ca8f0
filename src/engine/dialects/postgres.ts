import { sql, PostgresDialect } from "kysely";
import { postgresConnectionCause } from "../connection-causes.js";
import { loadDriver } from "./driver.js";
import { inTransaction } from "./transaction.js";
import { codeOf, type EngineDialect } from "./types.js";

const TIMESTAMP_OIDS = [1114, 1184]; // timestamp, timestamptz: kept as text, parsed by values.ts
/** "piccolo" in ASCII, as a bigint: the advisory lock key of piccolo-ts migrations. */
const MIGRATION_LOCK_KEY = "31641072982518895";

export const postgresDialect: EngineDialect = {
  name: "postgres",
  driverName: () => "pg",

  async createKyselyDialect(target) {
    const pg = await loadDriver<typeof import("pg")>("pg");
    const pool = new pg.Pool({
      connectionString: target.url,
      // Idle connections must not keep a finished script alive.
      allowExitOnIdle: true,
      connectionTimeoutMillis: 10_000,
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") =>
          TIMESTAMP_OIDS.includes(oid)
            ? (value: string) => value
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // A server restart kills idle clients; without a listener the pool's 'error' event would crash the process.
    pool.on("error", () => {});
    // A checked-out client whose server goes away emits 'error' itself, outside the pool's listener;
    // unheard, that is an uncaught exception. The failing query still rejects with the cause.
    pool.on("connect", (client) => client.on("error", () => {}));
    return new PostgresDialect({ pool });
  },

  booleanToDatabase: (value) => value,
  addIdColumn: (builder) => builder.addColumn("id", sql.raw("SERIAL"), (c) => c.primaryKey().notNull()),
  varcharType: (length) => sql.raw(`VARCHAR(${Math.trunc(length)})`),
  timestampType: () => sql.raw("TIMESTAMP"),
  currentTimestamp: () => sql`CURRENT_TIMESTAMP`,
  timestamptzType: () => sql.raw("TIMESTAMPTZ"),
  arrayType: (element) => ({ type: sql.raw(element === "text" ? "TEXT[]" : "TIMESTAMPTZ[]"), emptyDefault: sql`'{}'` }),
  utcOffsetSuffix: "+00:00",
  arraysAsJson: false,
  withTableOptions: (builder) => builder,
  transactionalDdl: true,
  dropTableCascades: true,
  supportsForUpdate: true,
  upsertReturning: true,
  indexNamesPerTable: false,

  async insertReturningId(insert) {
    return Number((await insert.returning("id").executeTakeFirstOrThrow()).id);
  },
  beginWrite: () => sql`BEGIN`,
  // A transaction-level advisory lock: released by COMMIT/ROLLBACK, so it works behind PgBouncer's
  // transaction pooling too (a session-level lock would outlive the transaction on a shared connection).
  withMigrationLock: (db, work) =>
    inTransaction(db, sql`BEGIN`, async () => {
      await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}::bigint)`.execute(db);
      return work();
    }),

  connectionErrorCodes: new Set([
    "57P01", // admin_shutdown
    "57P02", // crash_shutdown
    "57P03", // cannot_connect_now
    "3D000", // database does not exist
    "28P01", // password authentication failed
    "28000", // invalid authorization
    "53300", // too many connections
  ]),
  uniqueViolationColumn(error) {
    if (codeOf(error) !== "23505") return null;
    const fromDetail = /Key \(([^)]+)\)=/.exec(error.detail ?? "")?.[1];
    if (fromDetail) return fromDetail;
    return /_([a-z0-9]+)_key$/.exec(error.constraint ?? "")?.[1] ?? "";
  },
  missingTableName(error) {
    if (codeOf(error) !== "42P01") return null;
    return /relation "([^"]+)"/.exec(error.message ?? "")?.[1] ?? "";
  },
  connectionCause: postgresConnectionCause,
  // serialization_failure, deadlock_detected
  isRetryableConflict: (error) => codeOf(error) === "40001" || codeOf(error) === "40P01",
};
