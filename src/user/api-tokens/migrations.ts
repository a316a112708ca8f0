import { sql } from "kysely";
import { createIndexOnce, dropIndexOnce } from "../../migrations/indexes.js";
import { createdByEarlierRun, dropTable } from "../../migrations/schema.js";
import type { Migration, MigrationApp } from "../../migrations/types.js";

/** piccolo_api's API token table (`token_auth`). */
export const TOKEN_AUTH_TABLE = "token_auth";
const COLUMNS = ["id", "token", "user"];
const TOKEN_INDEX = "token_auth_token_idx";

/**
 * piccolo_api's `token_auth` migration: `id`, `token VARCHAR(255) NOT NULL`, `"user"` referencing
 * `piccolo_user` (cascading). Unlike Python's, the token has no DEFAULT: piccolo_api bakes one UUID into
 * the DEFAULT when it migrates, so every row inserted without a token would share it. Python always
 * writes the token itself, so it reads and writes this table as its own.
 */
const createTokenAuth: Migration = {
  id: "2019-11-18T22:24:41",
  description: "Create the token_auth table (piccolo_api's API tokens).",

  async forwards(context) {
    const { db, dialect } = context;
    if (await createdByEarlierRun(context, TOKEN_AUTH_TABLE, COLUMNS)) return;
    const table = dialect
      .addIdColumn(db.schema.createTable(TOKEN_AUTH_TABLE))
      .addColumn("token", dialect.varcharType(255, { exact: true }), (c) => c.notNull())
      .addColumn("user", sql.raw("INTEGER"), (c) => c.defaultTo(null))
      // Named as PostgreSQL names Piccolo's inline REFERENCES.
      .addForeignKeyConstraint("token_auth_user_fkey", ["user"], "piccolo_user", ["id"], (fk) =>
        fk.onDelete("cascade").onUpdate("cascade"),
      );
    await dialect.withTableOptions(table).execute();
  },

  backwards: (context) => dropTable(context, TOKEN_AUTH_TABLE),
};

/**
 * piccolo-ts's own `token_auth` migration: an index on `token`, which every Bearer request looks up
 * (piccolo_api scans the table). Not unique: a database Python filled may hold its shared DEFAULT token
 * on several rows, and such a token is refused rather than guessed between users.
 */
const indexToken: Migration = {
  id: "2026-12-06T17:30:00",
  description: "Index token_auth.token.",
  forwards: (context) => createIndexOnce(context, TOKEN_INDEX, TOKEN_AUTH_TABLE, "token"),
  backwards: (context) => dropIndexOnce(context, TOKEN_INDEX, TOKEN_AUTH_TABLE),
};

/**
 * The `token_auth` migration app: piccolo_api's API token table (and an index on its token). Its table
 * refers to `piccolo_user`, so run the `user` app first (`forwards all` does).
 *
 * @example
 * ```ts
 * await migrateForwards("token_auth");
 * ```
 */
export const tokenAuthApp: MigrationApp = {
  name: "token_auth",
  migrations: [createTokenAuth, indexToken],
};
