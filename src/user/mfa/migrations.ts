import { sql } from "kysely";
import { createIndexOnce, dropIndexOnce } from "../../migrations/indexes.js";
import { createdByEarlierRun, dropTable } from "../../migrations/schema.js";
import type { Migration, MigrationApp } from "../../migrations/types.js";
import { ROW_COLUMNS } from "./stored-row.js";

/** piccolo_api's authenticator-app enrollments (`mfa_authenticator`). */
export const AUTHENTICATOR_SECRET_TABLE = "authenticator_secret";
const USER_INDEX = "authenticator_secret_user_id_idx";

/**
 * piccolo_api's `mfa_authenticator` migration, with its types: PostgreSQL `TEXT[]`/`TIMESTAMPTZ[]`,
 * SQLite the declared types `ARRAY`/`ARRAY_TIMESTAMPTZ` (JSON text) and `TIMESTAMPTZ`, MySQL `JSON` and
 * `DATETIME(6)` (UTC).
 */
const createAuthenticatorSecret: Migration = {
  id: "2024-08-08T21:41:46:837552",
  description: "Create the authenticator_secret table (piccolo_api's MFA enrollments).",

  async forwards(context) {
    const { db, dialect } = context;
    if (await createdByEarlierRun(context, AUTHENTICATOR_SECRET_TABLE, ROW_COLUMNS)) return;
    const textArray = dialect.arrayType("text");
    const timeArray = dialect.arrayType("timestamptz");
    const table = dialect
      .addIdColumn(db.schema.createTable(AUTHENTICATOR_SECRET_TABLE))
      .addColumn("user_id", sql.raw("INTEGER"), (c) => c.notNull().defaultTo(0))
      .addColumn("secret", sql.raw("TEXT"), (c) => c.notNull())
      .addColumn("recovery_codes", textArray.type, (c) => c.notNull().defaultTo(textArray.emptyDefault))
      .addColumn("recovery_codes_used_at", timeArray.type, (c) => c.notNull().defaultTo(timeArray.emptyDefault))
      .addColumn("created_at", dialect.timestamptzType(), (c) => c.notNull().defaultTo(dialect.currentTimestamp()))
      .addColumn("revoked_at", dialect.timestamptzType(), (c) => c.defaultTo(null))
      .addColumn("last_used_at", dialect.timestamptzType(), (c) => c.defaultTo(null))
      .addColumn("last_used_code", sql.raw("TEXT"), (c) => c.defaultTo(null));
    await dialect.withTableOptions(table).execute();
  },

  backwards: (context) => dropTable(context, AUTHENTICATOR_SECRET_TABLE),
};

/** piccolo-ts's own: an index on `user_id`, which every login of an enrolled user looks up. */
const indexUserId: Migration = {
  id: "2026-12-06T17:30:00",
  description: "Index authenticator_secret.user_id.",
  forwards: (context) => createIndexOnce(context, USER_INDEX, AUTHENTICATOR_SECRET_TABLE, "user_id"),
  backwards: (context) => dropIndexOnce(context, USER_INDEX, AUTHENTICATOR_SECRET_TABLE),
};

/**
 * The `mfa_authenticator` migration app: piccolo_api's table of authenticator-app enrollments (TOTP
 * secrets, hashed recovery codes). Run it before turning two-factor authentication on.
 *
 * @example
 * ```ts
 * await migrateForwards("mfa_authenticator");
 * ```
 */
export const mfaAuthenticatorApp: MigrationApp = {
  name: "mfa_authenticator",
  migrations: [createAuthenticatorSecret, indexUserId],
};
