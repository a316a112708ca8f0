import type { Kysely, RawBuilder } from "kysely";
import { sql } from "kysely";

/** BEGIN (as given), `work`, COMMIT on one connection; ROLLBACK and rethrow the original error on failure. */
export async function inTransaction<T>(db: Kysely<any>, begin: RawBuilder<unknown>, work: () => Promise<T>): Promise<T> {
  await begin.execute(db);
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await sql`ROLLBACK`.execute(db).catch(() => {}); // the original error is the one worth reporting
    throw error;
  }
  await sql`COMMIT`.execute(db);
  return result;
}
