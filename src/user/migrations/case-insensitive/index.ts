// The opt-in migration app `user_case_insensitive`: a column holding each username's folded form
// (see ../../username-folding.ts) and a unique index on it, so `Bob` and `bob` cannot both exist even
// when two processes create them at the same moment. Its own app, so a plain Piccolo database is
// unchanged unless someone runs `piccolo migrations forwards user_case_insensitive`.
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { MigrationError } from "../../../errors.js";
import { addColumns, dropColumns } from "../../../migrations/schema.js";
import type { Migration, MigrationApp } from "../../../migrations/types.js";
import { FOLDED_USERNAME_COLUMN, FOLDED_USERNAME_LENGTH, foldUsername } from "../../username-folding.js";
import { refoldUsernames } from "./refold.js";
import { collisionMessage, readUsernames, scanUsernameCollisions } from "./scan.js";

export { collisionMessage, scanUsernameCollisions };

/** Where DDL is not transactional (MySQL): whether an interrupted earlier run already made the index. */
async function mysqlIndexExists(db: Kysely<any>, table: string): Promise<boolean> {
  const rows = await db
    .selectFrom("information_schema.statistics")
    .select("index_name")
    .where(sql.ref("table_schema"), "=", sql`DATABASE()`)
    .where("table_name", "=", table)
    .where("index_name", "=", foldedUsernameIndex(table))
    .execute();
  return rows.length > 0;
}

/** The unique index on the folded names, named like the table's other unique keys. */
export function foldedUsernameIndex(table: string): string {
  return `${table}_${FOLDED_USERNAME_COLUMN}_key`;
}

export function addFoldedUsernames(table: string): Migration {
  return {
    id: "2026-12-01T14:30:00",
    description: `Add username_folded (each username case-folded) to ${table}, with a unique index.`,

    async forwards(context) {
      const { db } = context;
      // Before any change: MySQL commits each DDL statement, so a refusal must come first, whole.
      const collisions = await scanUsernameCollisions(db, table);
      if (collisions.length > 0) throw new MigrationError(collisionMessage(collisions));

      await addColumns(context, table, [
        { name: FOLDED_USERNAME_COLUMN, type: context.dialect.varcharType(FOLDED_USERNAME_LENGTH, { exact: true }) },
      ]);
      for await (const batch of readUsernames(db, table)) {
        // One UPDATE per batch: CASE id WHEN … THEN <folded> … END (parameterised).
        const cases = sql.join(batch.map((row) => sql`when ${row.id} then ${foldUsername(row.username)}`), sql` `);
        await db
          .updateTable(table)
          .set({ [FOLDED_USERNAME_COLUMN]: sql`case ${sql.ref("id")} ${cases} end` })
          .where("id", "in", batch.map((row) => row.id))
          .execute();
      }
      if (context.dialect.transactionalDdl || !(await mysqlIndexExists(db, table))) {
        await db.schema.createIndex(foldedUsernameIndex(table)).unique().on(table).column(FOLDED_USERNAME_COLUMN).execute();
      }
    },

    async backwards(context) {
      // SQLite cannot drop an indexed column, so the index goes first. Where DDL is not transactional
      // (MySQL) the index is dropped with its only column, which also makes a resumed run work.
      if (context.dialect.transactionalDdl) await context.db.schema.dropIndex(foldedUsernameIndex(table)).execute();
      await dropColumns(context, table, [FOLDED_USERNAME_COLUMN]);
    },
  };
}

/**
 * The opt-in app: `piccolo migrations forwards user_case_insensitive` (after the `user` app), for a
 * user table of the given name. It adds and fills `username_folded` with a unique index, and refuses
 * while two users' names differ only in case; its second migration folds with NFKC too (`ａｄｍｉｎ` =
 * `admin`) and refuses while two names are then equal. Needed by `caseInsensitiveUsernames`.
 *
 * @example
 * ```ts
 * await migrateForwards(createUserCaseInsensitiveApp("member"));
 * ```
 */
export function createUserCaseInsensitiveApp(table = "piccolo_user"): MigrationApp {
  return { name: "user_case_insensitive", migrations: [addFoldedUsernames(table), refoldUsernames(table)], optIn: true };
}

/**
 * The opt-in `user_case_insensitive` app for `piccolo_user` (`forwards all` does not run it).
 *
 * @example
 * ```ts
 * await migrateForwards("user_case_insensitive"); // the same as migrateForwards(userCaseInsensitiveApp)
 * class AppUser extends BaseUser { static override caseInsensitiveUsernames = true; }
 * ```
 */
export const userCaseInsensitiveApp: MigrationApp = createUserCaseInsensitiveApp();
