// Counters for "no query, no hash" claims: a Database whose Kysely instance records every query it
// compiles, and a count of PBKDF2 runs started by this process (Node's crypto creates one async resource,
// PBKDF2REQUEST, per asynchronous pbkdf2 call).
import { createHook } from "node:async_hooks";
import type { KyselyPlugin } from "kysely";
import type { Database } from "piccolo-ts";

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

/** Counts asynchronous PBKDF2 runs from now until `stop()`. */
export function countHashes(): { count(): number; reset(): void; stop(): void } {
  let count = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === "PBKDF2REQUEST") count++;
    },
  }).enable();
  return {
    count: () => count,
    reset: () => {
      count = 0;
    },
    stop: () => hook.disable(),
  };
}
