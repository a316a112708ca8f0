#!/usr/bin/env node
// Bundles the installed Kysely (its CommonJS build) into dist/vendor/kysely.cjs. Kysely is ~270 small
// modules; resolving, reading and compiling them one by one was a third of a CLI command's start-up,
// and one file loads in a fraction of that. The code is Kysely's own, at the version package-lock.json pins.
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(root, "package.json"));
const entry = require.resolve("kysely");
// The entry is <package>/dist/cjs/index.js (kysely's exports map hides its package.json).
const packageDir = path.resolve(path.dirname(entry), "../..");
const { version } = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8"));
const licence = readFileSync(path.join(packageDir, "LICENSE"), "utf8").trim();

await build({
  entryPoints: [entry],
  outfile: path.join(root, "dist/vendor/kysely.cjs"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  logLevel: "warning",
  banner: { js: `/*! Kysely ${version}, https://github.com/kysely-org/kysely, bundled by scripts/bundle-kysely.mjs.\n\n${licence}\n*/` },
});
