#!/usr/bin/env node
// `piccolo` start-up next to a bare `node -e 0` (issue 12): `node bench/startup.mjs [--runs=N] [--strict]`.
// Needs a build (`npm run build`). Runs the bin package.json names (dist/cli/entry.cjs: the bundle
// esbuild builds from src/, dist/bin/piccolo.cjs, with V8's code cache) and, for comparison, that bundle
// run directly (no cache) and the unbundled ES modules (dist/cli/main.js),
// interleaved run by run so that noise from other processes hits every command alike; prints medians
// and ratios to `node -e 0`. Targets (issue 22): `user list` (SQLite, 20 users) ≤ 1.8×, `--help` ≤ 1.5×.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Databases, bulkInsertUsers } from "./lib/setup.mjs";
import { startup } from "./lib/startup.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const runs = Number(args.find((a) => a.startsWith("--runs="))?.slice(7) ?? 25);
const strict = args.includes("--strict");
const TARGETS = { list: 1.8, help: 1.5 };

const bin = path.join(root, JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).bin.piccolo);
const pkg = await import(path.join(root, "dist/index.js"));
const dbs = new Databases(pkg);
let failed = false;
try {
  const url = await dbs.createMigrated("sqlite", "startup");
  await bulkInsertUsers(pkg, url, 20, "pbkdf2_sha256$600000$00000000000000000000000000000000$00", { prefix: "bench_user" });
  await pkg.closeDatabases();
  const s = startup(bin, url, "bench_user", runs, dbs.dir, { "plain-": path.join(root, "dist/bin/piccolo.cjs"), "esm-": path.join(root, "dist/cli/main.js") });
  const line = (label, key, target) => {
    const ratio = s[`${key}Ratio`];
    const verdict = target === undefined ? "" : ratio <= target ? `  ≤ ${target} ok` : `  > ${target} MISSED`;
    if (target !== undefined && ratio > target) failed = true;
    console.log(`${label.padEnd(44)} ${(s[key] * 1000).toFixed(1).padStart(7)} ms  ${ratio === undefined ? "       " : `${ratio.toFixed(3)}×`}${verdict}`);
  };
  console.log(`start-up, medians of ${runs} interleaved runs (SQLite, 20 users)`);
  line("node -e 0", "bare");
  line("piccolo --help (bin: bundle + code cache)", "help", TARGETS.help);
  line("piccolo user list (bin)", "list", TARGETS.list);
  line("  --help, the bundle without the cache", "plain-help");
  line("  user list, the bundle without the cache", "plain-list");
  line("  --help, unbundled ES modules (main.js)", "esm-help");
  line("  user list, unbundled ES modules (main.js)", "esm-list");
} finally {
  await dbs.dropAll();
}
if (strict && failed) process.exit(1);
