#!/usr/bin/env node
// Builds the `piccolo` command into dist/bin/ with esbuild, from src/:
// - piccolo.cjs, which the bin (src/cli/entry.cts) runs: src/cli/main.ts and everything it imports
//   from src/ (Kysely and commander included) in one CommonJS file. Loading ~40 of our modules and
//   Kysely's ~270 one by one was most of a short command's time; one file is read and compiled at once
//   (and its compiled code kept by the bin). The command modules stay lazy inside it (each import() of
//   ours becomes a function run when that command runs).
// - What only some commands need (the database drivers, Hono, ioredis, the hash libraries,
//   jiti) stays out of the file and is loaded from node_modules when
//   the source's import() runs.
// - hash-worker.js and sync-worker.js, the worker threads the pool and the …Sync API start from
//   `new URL("./hash-worker.js", import.meta.url)`, beside it as ES modules of their own. dist/bin/ is
//   as deep as dist/user/, so `../../package.json` and `../../native/` name the same files from both.
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const outdir = path.join(root, "dist/bin");
const { dependencies } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
// Bundled where a package's default export must stay a function: string-width is an ES module only, and
// @inquirer/password's CommonJS build (which require() would pick) puts its function at `.default.default`.
// Both still run only when needed (a table with text that is not plain ASCII; a hidden password question).
const BUNDLED = ["kysely", "commander", "string-width", "@inquirer/password"];

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  external: Object.keys(dependencies)
    .filter((name) => !BUNDLED.includes(name))
    .flatMap((name) => [name, `${name}/*`]),
  // Less to read and parse at every start; names kept, since error classes report their own.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  legalComments: "inline",
  logLevel: "warning",
};

await build({
  ...common,
  entryPoints: { piccolo: path.join(root, "src/cli/main.ts") },
  outdir,
  outExtension: { ".js": ".cjs" },
  format: "cjs",
  // import() of a package becomes require(): no ES module loader to start, and no import() left, which
  // a script compiled from V8's cached data (the bin, src/cli/entry.cts) could not run.
  supported: { "dynamic-import": false },
  // CommonJS has no import.meta: the file's own URL, from a module of one line.
  inject: [path.join(root, "scripts/import-meta-url.cjs")],
  define: { "import.meta.url": "import_meta_url" },
});

await build({
  ...common,
  entryPoints: {
    "hash-worker": path.join(root, "src/password/hash-worker.ts"),
    "sync-worker": path.join(root, "src/user/sync-worker.ts"),
  },
  outdir,
  format: "esm",
});
