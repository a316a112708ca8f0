#!/usr/bin/env node
// npm's `prepare` step (run by `npm ci`, `npm pack`, `npm publish` and installs from git).
// 1. An install from a git URL (`npm install git+https://…/piccolo-ts.git`) gets the sources without
//    dist/, so it builds them here. In a checkout that has built already it leaves dist/ as it is (tests
//    may be reading it meanwhile).
// 2. On Linux, the prebuilt addons the package ships (scripts/prebuild.sh: linux-x64, linux-arm64; a
//    few seconds). `npm pack` and `npm publish` fail without them; elsewhere a failure is only a warning,
//    since the install step still builds the addon from source.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
if (!existsSync(path.join(root, "dist/index.js"))) {
  const result = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
const packing = ["pack", "publish"].includes(process.env.npm_command ?? "");
if (process.platform === "linux") {
  const result = spawnSync("bash", [path.join(root, "scripts/prebuild.sh")], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    if (packing) process.exit(result.status ?? 1);
    process.stderr.write("piccolo-ts: the prebuilt addons were not built (see above); installs from this checkout build the addon from source.\n");
  }
} else if (packing) {
  process.stderr.write("piccolo-ts: pack on Linux: the prebuilt addons (scripts/prebuild.sh) are built there.\n");
  process.exit(1);
}
