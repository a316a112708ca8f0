#!/usr/bin/env node
// npm's `prepare` step (it runs before `npm pack` and `npm publish`, and after `npm ci` and an install
// from a git URL). 1. dist/ must be a build of the sources being packed. `npm run build` ends by writing
// dist/.build-inputs, a hash of everything the build reads (src/, tsconfig.json, the bin's build scripts,
// package.json and the lock file); here the build runs again whenever dist/ is missing or that hash no
// longer matches the sources. So a source changed since the last build is built before it is packed,
// and a checkout built from the same sources is left alone (tests may be reading dist/ meanwhile).
//
//   node scripts/prepare.mjs           build when stale (npm runs this)
//   node scripts/prepare.mjs --stamp   record the current inputs (the last step of `npm run build`)
import { createHash } from "node:crypto";
//
// 2. On Linux, the prebuilt addons the package ships (scripts/prebuild.sh: linux-x64, linux-arm64; a
//    few seconds). `npm pack` and `npm publish` fail without them; elsewhere a failure is only a warning,
//    since the install step still builds the addon from source.
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const stampFile = path.join(root, "dist/.build-inputs");
const INPUT_FILES = ["tsconfig.json", "package.json", "package-lock.json", "scripts/build-cli.mjs", "scripts/import-meta-url.cjs"];

function filesUnder(dir) {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath ?? entry.path, entry.name)));
}

/** One hash of the build's inputs: file names and contents, in a fixed order. */
function inputsHash() {
  const hash = createHash("sha256");
  for (const file of [...filesUnder("src"), ...INPUT_FILES.filter((f) => existsSync(path.join(root, f)))].sort()) {
    hash.update(`${file.split(path.sep).join("/")}\0`).update(readFileSync(path.join(root, file))).update("\0");
  }
  return hash.digest("hex");
}

if (process.argv.includes("--stamp")) {
  writeFileSync(stampFile, `${inputsHash()}\n`);
  process.exit(0);
}

const recorded = existsSync(stampFile) ? readFileSync(stampFile, "utf8").trim() : "";
if (!existsSync(path.join(root, "dist/index.js")) || recorded !== inputsHash()) {
  // From scratch: a module whose source was deleted must not stay in dist/ (and so in the tarball).
  rmSync(path.join(root, "dist"), { recursive: true, force: true });
  // The build's own output goes to stderr: `npm pack --json` prints its JSON on stdout.
  const result = spawnSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: ["ignore", 2, 2] });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const packing = ["pack", "publish"].includes(process.env.npm_command ?? "");
if (process.platform === "linux") {
  // Its output goes to stderr too, for the same reason.
  const result = spawnSync("bash", [path.join(root, "scripts/prebuild.sh")], { cwd: root, stdio: ["ignore", 2, 2] });
  if (result.status !== 0) {
    if (packing) process.exit(result.status ?? 1);
    process.stderr.write("piccolo-ts: the prebuilt addons were not built (see above); installs from this checkout build the addon from source.\n");
  }
} else if (packing) {
  process.stderr.write("piccolo-ts: pack on Linux: the prebuilt addons (scripts/prebuild.sh) are built there.\n");
  process.exit(1);
}
