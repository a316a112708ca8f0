#!/usr/bin/env node
// Builds the optional PBKDF2 addon (native/build/Release/piccolo_pbkdf2.node) with node-gyp. Run by
// the package's "install" script: it never fails the install. An installed package that ships a
// prebuilt addon for this platform (linux-x64, linux-arm64: native/prebuilt/) which loads here needs no
// build, and gets none; a checkout (with scripts/) always builds, so edits to the C files take effect. Without the addon, piccolo-ts hashes with
// Node's crypto.pbkdf2 (same bytes, slower); `piccolo doctor` says which one is in use.
// PICCOLO_NATIVE_HASH=0 skips the build (and the addon's use).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const say = (line) => process.stderr.write(`piccolo-ts: ${line}\n`);

function nodeGyp() {
  // npm tells its lifecycle scripts where its own node-gyp is; outside npm, look beside node.
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
    path.join(path.dirname(process.execPath), "node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
  ];
  return candidates.find((file) => file && existsSync(file));
}

/** Whether the package's own binary for this platform loads here (it links nothing but N-API and libc). */
function prebuiltLoads() {
  const file = path.join(here, "prebuilt", `${process.platform}-${process.arch}`, "piccolo_pbkdf2.node");
  if (!existsSync(file) || existsSync(path.join(here, "../scripts/prebuild.sh"))) return false;
  try {
    return createRequire(import.meta.url)(file).selfContained === true;
  } catch {
    return false; // e.g. a musl system: build from source instead
  }
}

function build() {
  if (process.env.PICCOLO_NATIVE_HASH === "0") return "skipped (PICCOLO_NATIVE_HASH=0)";
  if (prebuiltLoads()) return null;
  const gyp = nodeGyp();
  if (!gyp) return "node-gyp not found";
  const args = [gyp, "rebuild", "--loglevel=error"];
  // Node's own headers, when installed beside it: no download (which may be impossible offline).
  const prefix = path.resolve(path.dirname(process.execPath), "..");
  if (existsSync(path.join(prefix, "include/node/node_api.h")) && !process.env.npm_config_nodedir) args.push(`--nodedir=${prefix}`);
  const result = spawnSync(process.execPath, args, { cwd: here, encoding: "utf8", timeout: 180_000 });
  if (result.error) return result.error.message;
  if (result.status !== 0) {
    const lines = `${result.stderr}\n${result.stdout}`.split("\n").filter((l) => /error/i.test(l));
    return lines.slice(0, 3).join(" | ") || `node-gyp exited with ${result.status}`;
  }
  return existsSync(path.join(here, "build/Release/piccolo_pbkdf2.node")) ? null : "no addon was produced";
}

try {
  const problem = build();
  if (problem) say(`the native PBKDF2 addon was not built (${problem}); hashing uses Node's crypto.pbkdf2 (same hashes, slower).`);
} catch (error) {
  say(`the native PBKDF2 addon was not built (${error?.message ?? error}); hashing uses Node's crypto.pbkdf2.`);
}
process.exit(0);
