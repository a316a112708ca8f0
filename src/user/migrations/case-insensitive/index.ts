// The opt-in migration app `user_case_insensitive`: a column holding each username's folded form
// (see ../../username-folding.ts) and a unique index on it, so `Bob` and `bob` cannot both exist even
// when two processes create them at the same moment. Its own app, so a plain Piccolo database is
// unchanged unless someone runs `piccolo migrations forwards user_case_insensitive`.
import type { Kysely } from "kysely";
import { sql } from "../../../engine/kysely.js";
import { MigrationError } from "../../../errors.js";
import { addColumns, dropColumns, varchar } from "../../../migrations/schema.js";
import type { Migration, MigrationApp } from "../../../migrations/types.js";
import {
  FOLDED_USERNAME_COLUMN,
  FOLDED_USERNAME_INDEX,
  FOLDED_USERNAME_LENGTH,
  describeCollisions,
  findCollisions,
  foldUsername,
  type UsernameRow,
} from "../../username-folding.js";

const TABLE = "piccolo_user";
const BATCH = 500;

/** Every user, read in id order and in batches (any table size). */
async function* readUsernames(db: Kysely<any>): AsyncGenerator<UsernameRow[]> {
  let lastId: number | undefined;
  for (;;) {
    let query = db.selectFrom(TABLE).select(["id", "username"]);
    if (lastId !== undefined) query = query.where("id", ">", lastId);
    const rows = await query.orderBy("id").limit(BATCH).execute();
    if (rows.length > 0) yield rows.map((row) => ({ id: Number(row.id), username: String(row.username) }));
    if (rows.length < BATCH) return;
    lastId = Number(rows[rows.length - 1]!.id);
  }
}

/** The users whose names are equal once case is ignored: what blocks this migration. */
export async function scanUsernameCollisions(db: Kysely<any>): Promise<UsernameRow[][]> {
  const all: UsernameRow[] = [];
  for await (const batch of readUsernames(db)) all.push(...batch);
  return findCollisions(all);
}

/** The message the migration refuses with; the same list `piccolo user check` prints. */
export function collisionMessage(groups: readonly UsernameRow[][]): string {
  const count = groups.length === 1 ? "1 group of users has" : `${groups.length} groups of users have`;
  return (
    `${count} usernames that differ only in case, so usernames cannot become case-insensitive: ` +
    `${describeCollisions(groups).join("; ")}. Rename all but one of each group ` +
    `(e.g. "piccolo user check" lists them), then run the migration again.`
  );
}

/** MySQL only (its DDL is not transactional): whether an interrupted earlier run already made the index. */
async function mysqlIndexExists(db: Kysely<any>): Promise<boolean> {
  const rows = await db
    .selectFrom("information_schema.statistics")
    .select("index_name")
    .where(sql.ref("table_schema"), "=", sql`DATABASE()`)
    .where("table_name", "=", TABLE)
    .where("index_name", "=", FOLDED_USERNAME_INDEX)
    .execute();
  return rows.length > 0;
}

export const addFoldedUsernames: Migration = {
  id: "2026-12-01T14:30:00",
  description: "Add username_folded (each username case-folded) to piccolo_user, with a unique index.",

  async forwards(context) {
    const { db, engine } = context;
    // Before any change: MySQL commits each DDL statement, so a refusal must come first, whole.
    const collisions = await scanUsernameCollisions(db);
    if (collisions.length > 0) throw new MigrationError(collisionMessage(collisions));

    await addColumns(context, TABLE, [
      { name: FOLDED_USERNAME_COLUMN, type: varchar(engine, FOLDED_USERNAME_LENGTH, { exact: true }) },
    ]);
    for await (const batch of readUsernames(db)) {
      // One UPDATE per batch: CASE id WHEN … THEN <folded> … END (parameterised).
      const cases = sql.join(batch.map((row) => sql`when ${row.id} then ${foldUsername(row.username)}`), sql` `);
      await db
        .updateTable(TABLE)
        .set({ [FOLDED_USERNAME_COLUMN]: sql`case ${sql.ref("id")} ${cases} end` })
        .where("id", "in", batch.map((row) => row.id))
        .execute();
    }
    if (engine !== "mysql" || !(await mysqlIndexExists(db))) {
      await db.schema.createIndex(FOLDED_USERNAME_INDEX).unique().on(TABLE).column(FOLDED_USERNAME_COLUMN).execute();
    }
  },

  async backwards(context) {
    const { db, engine } = context;
    if (engine !== "mysql" || (await mysqlIndexExists(db))) {
      let drop = db.schema.dropIndex(FOLDED_USERNAME_INDEX);
      if (engine === "mysql") drop = drop.on(TABLE);
      await drop.execute();
    }
    await dropColumns(context, TABLE, [FOLDED_USERNAME_COLUMN]);
  },
};

/** The opt-in app: `piccolo migrations forwards user_case_insensitive` (after the `user` app). */
export const userCaseInsensitiveApp: MigrationApp = {
  name: "user_case_insensitive",
  migrations: [addFoldedUsernames],
  optIn: true,
};
