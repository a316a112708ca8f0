// Reading every username of a user table to find those that fold to the same value: what the
// `user_case_insensitive` migrations refuse on, and what `piccolo user check` lists.
import type { Kysely } from "kysely";
import { describeCollisions, findCollisions, type UsernameRow } from "../../username-folding.js";

const BATCH = 500;

/** Every user, read in id order and in batches (any table size). */
export async function* readUsernames(db: Kysely<any>, table: string): AsyncGenerator<UsernameRow[]> {
  let lastId: number | undefined;
  for (;;) {
    let query = db.selectFrom(table).select(["id", "username"]);
    if (lastId !== undefined) query = query.where("id", ">", lastId);
    const rows = await query.orderBy("id").limit(BATCH).execute();
    if (rows.length > 0) yield rows.map((row) => ({ id: Number(row.id), username: String(row.username) }));
    if (rows.length < BATCH) return;
    lastId = Number(rows[rows.length - 1]!.id);
  }
}

/** The users whose names are equal once case is ignored: what blocks this migration. */
export async function scanUsernameCollisions(db: Kysely<any>, table = "piccolo_user"): Promise<UsernameRow[][]> {
  const all: UsernameRow[] = [];
  for await (const batch of readUsernames(db, table)) all.push(...batch);
  return findCollisions(all);
}

/** The message the migration refuses with; the same list `piccolo user check` prints. */
export function collisionMessage(groups: readonly UsernameRow[][]): string {
  const count = groups.length === 1 ? "1 group of users has" : `${groups.length} groups of users have`;
  return (
    `${count} usernames that are equal once case and compatibility forms are ignored (Bob and bob, ａｄｍｉｎ and admin), ` +
    `so usernames cannot become case-insensitive: ` +
    `${describeCollisions(groups).join("; ")}. Rename all but one of each group ` +
    `(e.g. "piccolo user check" lists them), then run the migration again.`
  );
}
