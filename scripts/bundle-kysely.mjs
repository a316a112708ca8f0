#!/usr/bin/env node
// Bundles the installed Kysely into dist/vendor/kysely.cjs, keeping only what src/engine/kysely.ts
// takes from it. Kysely is ~270 small modules; resolving, reading and compiling them one by one was a
// third of a CLI command's start-up, and one tree-shaken file loads in a fraction of that. The code is
// Kysely's own, at the version package-lock.json pins (built from its ES modules so unused parts drop out).
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(root, "package.json"));
// <package>/dist/cjs/index.js (kysely's exports map hides its package.json).
const packageDir = path.resolve(path.dirname(require.resolve("kysely")), "../..");
const { version } = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8"));
const licence = readFileSync(path.join(packageDir, "LICENSE"), "utf8").trim();

// The names are the ones src/engine/kysely.ts destructures, so that file stays the one list.
const wrapper = readFileSync(path.join(root, "src/engine/kysely.ts"), "utf8");
const list = /export const \{([^}]*)\} = kysely;/.exec(wrapper)?.[1];
if (!list) throw new Error("src/engine/kysely.ts: no `export const { … } = kysely;` to take the names from");
const names = list.split(",").map((name) => name.trim()).filter(Boolean);

await build({
  stdin: { contents: `export { ${names.join(", ")} } from "kysely";`, resolveDir: root, loader: "js" },
  outfile: path.join(root, "dist/vendor/kysely.cjs"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  logLevel: "warning",
  banner: { js: `/*! Kysely ${version}, https://github.com/kysely-org/kysely, bundled by scripts/bundle-kysely.mjs.\n\n${licence}\n*/` },
});
