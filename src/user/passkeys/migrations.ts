import { sql } from "kysely";
import { createdByEarlierRun, dropTable } from "../../migrations/schema.js";
import type { Migration, MigrationApp } from "../../migrations/types.js";

/** The registered passkeys (WebAuthn credentials), one row each. Python Piccolo knows nothing of it. */
export const PASSKEY_TABLE = "passkey_credential";
/** Outstanding WebAuthn challenges: each is used once and expires within minutes. */
export const PASSKEY_CHALLENGE_TABLE = "passkey_challenge";
const CREDENTIAL_COLUMNS = ["id", "user_id", "username", "credential_key", "credential_id", "public_key", "sign_count", "name"];
const CHALLENGE_COLUMNS = ["id", "challenge_key", "purpose", "user_id", "expires_at"];

/**
 * Credentials refer to `piccolo_user` with ON DELETE CASCADE, so deleting a user deletes its passkeys
 * on every engine (SQLite's foreign keys are on in piccolo-ts's connections). `username` is the owner's
 * name at registration: a credential is honoured only while its user row still has it, so a row left
 * behind by a delete without foreign keys is never taken for the next user given the same id.
 * `credential_key` (SHA-256 of the credential id, hex) carries the unique index, since credential ids
 * may be longer than MySQL can index. Times are milliseconds since 1970 (BIGINT), the same on every engine.
 */
const createTables: Migration = {
  id: "2026-12-06T22:30:00",
  description: "Create passkey_credential and passkey_challenge (WebAuthn credentials and their challenges).",

  async forwards(context) {
    const { db, dialect } = context;
    if (!(await createdByEarlierRun(context, PASSKEY_TABLE, CREDENTIAL_COLUMNS))) {
      const credentials = dialect
        .addIdColumn(db.schema.createTable(PASSKEY_TABLE))
        .addColumn("user_id", sql.raw("INTEGER"), (c) => c.notNull())
        .addColumn("username", dialect.varcharType(100, { exact: true }), (c) => c.notNull())
        .addColumn("credential_key", dialect.varcharType(64, { exact: true }), (c) => c.notNull())
        .addColumn("credential_id", sql.raw("TEXT"), (c) => c.notNull())
        .addColumn("public_key", sql.raw("TEXT"), (c) => c.notNull())
        .addColumn("sign_count", sql.raw("BIGINT"), (c) => c.notNull().defaultTo(0))
        .addColumn("transports", dialect.varcharType(255), (c) => c.notNull().defaultTo(""))
        .addColumn("backed_up", sql.raw("INTEGER"), (c) => c.notNull().defaultTo(0))
        .addColumn("name", dialect.varcharType(100, { exact: true }), (c) => c.notNull())
        .addColumn("created_at", sql.raw("BIGINT"), (c) => c.notNull())
        .addColumn("last_used_at", sql.raw("BIGINT"), (c) => c.defaultTo(null))
        .addUniqueConstraint(`${PASSKEY_TABLE}_credential_key_key`, ["credential_key"])
        .addUniqueConstraint(`${PASSKEY_TABLE}_user_name_key`, ["user_id", "name"])
        .addForeignKeyConstraint(`${PASSKEY_TABLE}_user_id_fkey`, ["user_id"], "piccolo_user", ["id"], (fk) => fk.onDelete("cascade").onUpdate("cascade"));
      await dialect.withTableOptions(credentials).execute();
    }
    if (!(await createdByEarlierRun(context, PASSKEY_CHALLENGE_TABLE, CHALLENGE_COLUMNS))) {
      const challenges = dialect
        .addIdColumn(db.schema.createTable(PASSKEY_CHALLENGE_TABLE))
        .addColumn("challenge_key", dialect.varcharType(64, { exact: true }), (c) => c.notNull())
        .addColumn("purpose", dialect.varcharType(16), (c) => c.notNull())
        .addColumn("user_id", sql.raw("INTEGER"), (c) => c.defaultTo(null))
        .addColumn("expires_at", sql.raw("BIGINT"), (c) => c.notNull())
        .addUniqueConstraint(`${PASSKEY_CHALLENGE_TABLE}_challenge_key_key`, ["challenge_key"]);
      await dialect.withTableOptions(challenges).execute();
    }
  },

  async backwards(context) {
    await dropTable(context, PASSKEY_CHALLENGE_TABLE);
    await dropTable(context, PASSKEY_TABLE);
  },
};

/**
 * The opt-in `passkeys` migration app: the tables passkey logins need. Not run by `forwards all`; run it
 * by name after the `user` app, before turning the `passkeys` option on.
 *
 * @example
 * ```ts
 * await migrateForwards("passkeys");
 * ```
 */
export const passkeysApp: MigrationApp = {
  name: "passkeys",
  migrations: [createTables],
  optIn: true,
};
