// Counters for "no query, no hash" claims: a Database whose Kysely instance records every query it
// compiles, and a count of the password hashes this process's hash pool finished.
import type { KyselyPlugin } from "kysely";
import { hasherInfo, type Database } from "piccolo-ts";

/** `database` with the same pool, and `queries`: the kind of each query built through it (SelectQueryNode, …), in order. */
export async function countingDatabase(base: Database): Promise<{ database: Database; queries: string[] }> {
  const queries: string[] = [];
  const recorder: KyselyPlugin = {
    transformQuery(args) {
      queries.push(args.node.kind);
      return args.node;
    },
    async transformResult(args) {
      return args.result;
    },
  };
  const kysely = base.kysely.withPlugin(recorder);
  // Everything else (engine, dialect, close…) comes from the real one.
  const database = Object.create(base, { kysely: { value: kysely, enumerable: true } }) as Database;
  return { database, queries };
}

/** Counts the password hashes the hash pool finishes from now on (`hasherInfo().completed`). */
export function countHashes(): { count(): number; reset(): void; stop(): void } {
  let base = hasherInfo().completed;
  return {
    count: () => hasherInfo().completed - base,
    reset: () => {
      base = hasherInfo().completed;
    },
    stop: () => {},
  };
}
