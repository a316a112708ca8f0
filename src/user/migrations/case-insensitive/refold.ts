// The second migration of `user_case_insensitive`: usernames fold with NFKC too (username-folding.ts),
// so `ａｄｍｉｎ` and `admin` are one name. It recomputes `username_folded` for every row (those written
// by Python Piccolo or a raw INSERT, NULL until now, included) and refuses, before any change, while
// two users' names would then be equal, as the first migration does.
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { MigrationError } from "../../../errors.js";
import type { Migration } from "../../../migrations/types.js";
import { FOLDED_USERNAME_COLUMN, FOLDED_USERNAME_LENGTH, findCollisions, foldUsername, type UsernameRow } from "../../username-folding.js";
import { collisionMessage, readUsernames } from "./scan.js";

const BATCH = 500;

interface Change {
  id: number;
  folded: string;
}

/** The rows whose stored folded name is not the one foldUsername gives now. */
async function staleRows(db: Kysely<any>, table: string): Promise<{ all: UsernameRow[]; changes: Change[] }> {
  const all: UsernameRow[] = [];
  for await (const batch of readUsernames(db, table)) all.push(...batch);
  const stored = new Map<number, unknown>();
  for (let start = 0; start < all.length; start += BATCH) {
    const ids = all.slice(start, start + BATCH).map((row) => row.id);
    const rows = await db.selectFrom(table).select(["id", FOLDED_USERNAME_COLUMN]).where("id", "in", ids).execute();
    for (const row of rows) stored.set(Number(row.id), row[FOLDED_USERNAME_COLUMN]);
  }
  const changes = all
    .map((row) => ({ id: row.id, folded: foldUsername(row.username) }))
    .filter((change) => stored.get(change.id) !== change.folded);
  return { all, changes };
}

async function setFolded(db: Kysely<any>, table: string, changes: readonly Change[], value: (change: Change) => string | null): Promise<void> {
  for (let start = 0; start < changes.length; start += BATCH) {
    const batch = changes.slice(start, start + BATCH);
    // One UPDATE per batch: CASE id WHEN … THEN <value> … END (parameterised).
    const cases = sql.join(batch.map((change) => sql`when ${change.id} then ${value(change)}`), sql` `);
    await db
      .updateTable(table)
      .set({ [FOLDED_USERNAME_COLUMN]: sql`case ${sql.ref("id")} ${cases} end` })
      .where("id", "in", batch.map((change) => change.id))
      .execute();
  }
}

export function refoldUsernames(table: string): Migration {
  return {
    id: "2026-12-06T17:50:00",
    description: `Fold ${table}.username_folded with NFKC too (fullwidth and other compatibility forms are one name).`,

    async forwards(context) {
      const { db } = context;
      const { all, changes } = await staleRows(db, table);
      const collisions = findCollisions(all);
      if (collisions.length > 0) throw new MigrationError(collisionMessage(collisions));
      const tooLong = changes.filter((change) => change.folded.length > FOLDED_USERNAME_LENGTH).map((change) => change.id);
      if (tooLong.length > 0) {
        throw new MigrationError(`The usernames of the users with the ids ${tooLong.join(", ")} are longer than ${FOLDED_USERNAME_LENGTH} characters once normalised: rename them, then run the migration again.`);
      }
      // Cleared first, then set: a row's new value may be another row's old one, and the unique index
      // (which allows any number of NULLs) must hold after every statement.
      await setFolded(db, table, changes, () => null);
      await setFolded(db, table, changes, (change) => change.folded);
    },

    async backwards() {
      // The column stays, folded the new way: the first migration's backwards drops it. A fold without
      // NFKC is not restored (it would only let look-alike names in again).
    },
  };
}
