#!/usr/bin/env node
// npm's `prepare` step. An install from a git URL (`npm install git+https://…/piccolo-ts.git`) gets the
// sources without dist/, so it builds them here. In a checkout that has built already it does nothing:
// `npm ci` and `npm pack` then leave dist/ as it is (tests may be reading it meanwhile).
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
if (!existsSync(path.join(root, "dist/index.js"))) {
  const result = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  process.exit(result.status ?? 1);
}
