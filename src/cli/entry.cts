#!/usr/bin/env node
// The `piccolo` bin. It runs dist/bin/piccolo.cjs, the command in one CommonJS file that
// scripts/build-cli.mjs builds from src/cli/main.ts, and keeps V8's compiled code of it between runs:
// compiling that file is most of a short command's time. On Node 20 (which has no
// `module.enableCompileCache`) it is compiled as a vm.Script with the cached data of the last successful
// run of the same command; a missing or rejected cache is written when a run succeeds (then it holds
// the functions the command compiled, not just the top level). The cache lives in the nearest
// node_modules/.cache/piccolo-ts; when that cannot be written the command runs uncached.
// Bun and Deno (no V8 cache through vm.Script) and Node ≥ 22.1 (module.enableCompileCache) require it.
import Module = require("node:module");
import fs = require("node:fs");
import path = require("node:path");
import vm = require("node:vm");

const bundle = path.join(__dirname, "..", "bin", "piccolo.cjs");

/** <app>/node_modules/.cache/piccolo-ts when installed, <checkout>/node_modules/.cache/piccolo-ts in a checkout. */
function cacheDirectory(): string {
  const parts = __dirname.split(path.sep);
  const at = parts.lastIndexOf("node_modules");
  const nodeModules = at >= 0 ? parts.slice(0, at + 1).join(path.sep) : path.join(__dirname, "..", "..", "node_modules");
  return path.join(nodeModules, ".cache", "piccolo-ts");
}

/** One cache per build, Node and command (its first two words): each compiles different functions. */
function cacheFile(source: string): string {
  const build = `${source.length.toString(36)}-${fs.statSync(bundle).mtimeMs.toString(36)}`;
  const words = process.argv.slice(2).filter((arg) => /^[a-z][a-z_-]{0,29}$/i.test(arg)).slice(0, 2);
  return path.join(cacheDirectory(), `${build}-${process.version}-${process.arch}-${words.join("-") || "none"}.v8cache`);
}

function readCache(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Written through a rename, so a concurrent run reads the old cache or the new one, never half of one. */
function writeCache(file: string, data: Buffer): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(temporary, data);
    fs.renameSync(temporary, file);
  } catch {
    fs.rmSync(temporary, { force: true }); // not writable here: the next run compiles again
  }
}

function runCached(): void {
  const source = fs.readFileSync(bundle, "utf8");
  const file = cacheFile(source);
  const cachedData = readCache(file);
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // A failed run may have stopped early: only a successful one says what the command compiles.
    process.once("exit", (code) => code === 0 && writeCache(file, script.createCachedData()));
  }
  const module = new Module(bundle, require.main);
  module.filename = bundle;
  module.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(bundle));
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, Module.createRequire(bundle), module, bundle, path.dirname(bundle));
}

const otherRuntime = "bun" in process.versions || "deno" in process.versions;
const enableCompileCache = (Module as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
if (otherRuntime) {
  require(bundle);
} else if (enableCompileCache) {
  enableCompileCache(cacheDirectory());
  require(bundle);
} else {
  runCached();
}
