#!/usr/bin/env node
// listUsers with 100 000 users (issue 12): `node bench/list-users.mjs [--engines=postgres,sqlite] [--runs=N] [--strict]`.
// Needs a build. Prints, per engine:
// - where the index walk starts to beat a plain LIMIT/OFFSET (both forced, interleaved, by offset):
//   the evidence for INDEX_WALK_FROM_OFFSET in src/user/list-users.ts;
// - page 1 through listUsers ÷ the very same SQL sent bare through `pg` (PostgreSQL; target ≤ 1.1);
// - the deepest page through listUsers (target ≤ 20 ms).
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Databases, bulkInsertUsers, serverAvailable } from "./lib/setup.mjs";
import { median } from "./lib/stats.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const runs = Number(option("runs") ?? 41);
const strict = args.includes("--strict");
const USERS = 100_000;
const LIMIT = 20;
const OFFSETS = [0, 100, 240, 500, 1000, 2000, 5000, 20000, USERS - LIMIT];

const pkg = await import(path.join(root, "dist/index.js"));
const { listUsers, INDEX_WALK_FROM_OFFSET } = await import(path.join(root, "dist/user/list-users.js"));
const pg = createRequire(path.join(root, "package.json"))("pg");

const ms = async (work) => {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
};

/** Medians (ms) of interleaved samples of each named async function. */
async function interleaved(fns, count) {
  const samples = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (const fn of Object.values(fns)) for (let i = 0; i < 5; i++) await fn(); // warm caches, plans, connections
  for (let i = 0; i < count; i++) for (const [k, fn] of Object.entries(fns)) samples[k].push(await ms(fn));
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

/** The SQL and parameters listUsers sends to PostgreSQL for `options` (recorded at pg's Client.query). */
async function capturedQuery(User, options) {
  const original = pg.Client.prototype.query;
  let captured;
  pg.Client.prototype.query = function (text, values, ...rest) {
    if (typeof text === "string" && /piccolo_user/.test(text)) captured = { text, values };
    return original.call(this, text, values, ...rest);
  };
  try {
    await User.listUsers(options);
  } finally {
    pg.Client.prototype.query = original;
  }
  return captured;
}

const engines = (option("engines") ?? "postgres,sqlite").split(",");
const dbs = new Databases(pkg);
let failed = false;
const verdict = (value, target) => {
  if (value > target) failed = true;
  return value <= target ? `≤ ${target} ok` : `> ${target} MISSED`;
};
try {
  for (const engine of engines) {
    if (!(await serverAvailable(engine))) {
      console.log(`${engine}: no server, skipped`);
      continue;
    }
    const url = await dbs.createMigrated(engine, "list");
    await bulkInsertUsers(pkg, url, USERS, "pbkdf2_sha256$600000$00000000000000000000000000000000$00");
    class Big extends pkg.BaseUser {
      static database = url;
    }
    console.log(`\n${engine}, ${USERS} users, ${LIMIT} a page, order by username; medians of ${runs} interleaved runs (ms)`);
    console.log("offset      plain LIMIT/OFFSET   index walk   listUsers (auto)");
    for (const offset of OFFSETS) {
      const page = offset / LIMIT + 1;
      const options = { page, limit: LIMIT, orderBy: "username" };
      const m = await interleaved(
        {
          plain: () => listUsers(Big, options, "plain"),
          walk: () => listUsers(Big, options, "walk"),
          auto: () => listUsers(Big, options),
        },
        runs,
      );
      console.log(`${String(offset).padEnd(10)}  ${m.plain.toFixed(3).padStart(17)}   ${m.walk.toFixed(3).padStart(10)}   ${m.auto.toFixed(3).padStart(16)}`);
      if (offset === USERS - LIMIT) console.log(`deepest page through listUsers: ${m.auto.toFixed(2)} ms  ${verdict(m.auto, 20)}`);
    }
    console.log(`(the walk starts at offset ${INDEX_WALK_FROM_OFFSET})`);
    if (engine === "postgres") {
      const options = { page: 1, limit: LIMIT };
      const { text, values } = await capturedQuery(Big, options);
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      try {
        const m = await interleaved(
          { ours: () => Big.listUsers(options), bare: () => pool.query(text, values) },
          runs * 5,
        );
        console.log(`page 1: listUsers ${m.ours.toFixed(3)} ms, the same SQL bare through pg ${m.bare.toFixed(3)} ms: ${(m.ours / m.bare).toFixed(3)}×  ${verdict(m.ours / m.bare, 1.1)}`);
        console.log(`  SQL: ${text}`);
      } finally {
        await pool.end();
      }
    }
  }
} finally {
  await dbs.dropAll();
}
if (strict && failed) process.exit(1);
