#!/usr/bin/env node
// The `piccolo` bin. It runs the one-file build of the command (piccolo.bundle.cjs, made by
// scripts/bundle-cli.mjs) with V8's compiled code kept between runs, because most of a short
// command's time is Node compiling JavaScript:
// - Node ≥ 22.1: `module.enableCompileCache()` does it for every file;
// - Node 20: the bundle is compiled as a vm.Script with `cachedData` from the last successful run of
//   the same command, and a missing or rejected cache is written at exit (after the run, so it holds
//   the functions the command compiled, not just the top level).
// The cache lives in node_modules/.cache/piccolo-ts (else the user's cache directory); when neither
// can be written the command runs uncached. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
// Without a bundle (a build that skipped it) the ES module main.js runs instead. Bun and Deno run the
// bundle plainly: Bun keeps its own transpiler cache, and neither takes V8's cachedData through vm.Script.
import Module = require("node:module");
import fs = require("node:fs");
import os = require("node:os");
import path = require("node:path");
import vm = require("node:vm");

const bundle = path.join(__dirname, "piccolo.bundle.cjs");
const disabled = Boolean(process.env.NODE_DISABLE_COMPILE_CACHE);

/** Where compiled code may be kept: next to the installed package first, else the user's cache. */
function cacheDirectories(): string[] {
  const dirs: string[] = [];
  const parts = __dirname.split(path.sep);
  const inNodeModules = parts.lastIndexOf("node_modules");
  // Installed: <app>/node_modules/piccolo-ts/dist/cli → <app>/node_modules/.cache; a checkout:
  // <repo>/dist/cli → <repo>/node_modules/.cache.
  const nodeModules =
    inNodeModules >= 0 ? parts.slice(0, inNodeModules + 1).join(path.sep) : path.join(__dirname, "..", "..", "node_modules");
  dirs.push(path.join(nodeModules, ".cache", "piccolo-ts"));
  const home = os.homedir();
  const userCache =
    process.env.XDG_CACHE_HOME ||
    (process.platform === "win32"
      ? process.env.LOCALAPPDATA
      : home && (process.platform === "darwin" ? path.join(home, "Library", "Caches") : path.join(home, ".cache")));
  if (userCache) dirs.push(path.join(userCache, "piccolo-ts"));
  return dirs;
}

/** The server engine the command line or DATABASE_URL names, when it names one (else SQLite or a config file). */
function serverEngine(): string {
  const args = process.argv.slice(2);
  const flag = args.findIndex((arg) => arg === "--db" || arg.startsWith("--db="));
  const url = flag < 0 ? process.env.DATABASE_URL : args[flag]!.startsWith("--db=") ? args[flag]!.slice(5) : args[flag + 1];
  return /^postgres(ql)?:/i.test(url ?? "") ? "-pg" : /^(mysql|mariadb):/i.test(url ?? "") ? "-mysql" : "";
}

/**
 * The command's first words and its engine (`user-list`, `user-list-pg`): each compiles different
 * functions, and a cache made by a PostgreSQL run holds pg's, which a SQLite run would only load.
 */
function commandKey(): string {
  const words = process.argv
    .slice(2)
    .filter((arg, index, args) => args[index - 1] !== "--db" && /^[a-z][a-z_-]{0,29}$/i.test(arg))
    .slice(0, 2);
  return `${words.length > 0 ? words.join("-").toLowerCase() : "none"}${serverEngine()}`;
}

function readCache(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

/** Caches of other builds (an upgrade, a rebuild) go once a week old: another project may still use them. */
function removeStaleCaches(dir: string, build: string): void {
  for (const file of fs.readdirSync(dir)) {
    if (file.startsWith(`${build}-`) || !/\.(v8cache|tmp)$/.test(file)) continue;
    const full = path.join(dir, file);
    if (Date.now() - fs.statSync(full).mtimeMs > WEEK_MS) fs.unlinkSync(full);
  }
}

/** Writes atomically (a rename), so a concurrent run reads the old cache or the new one, never half. */
function writeCache(dirs: string[], build: string, name: string, data: Buffer): void {
  for (const dir of dirs) {
    const temporary = path.join(dir, `${name}.${process.pid}.tmp`);
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(temporary, data);
      fs.renameSync(temporary, path.join(dir, name));
    } catch {
      try {
        fs.unlinkSync(temporary);
      } catch {
        // nothing was written
      }
      continue;
    }
    try {
      removeStaleCaches(dir, build);
    } catch {
      // another run removed them first
    }
    return;
  }
}

function runCached(source: string): void {
  const id = /^\/\* piccolo-ts cli build ([0-9a-f]+)/.exec(source)?.[1];
  const dirs = disabled || !id ? [] : cacheDirectories();
  const name = `${id}-${process.version}-${process.arch}-${commandKey()}.v8cache`;
  let cachedData: Buffer | undefined;
  for (const dir of dirs) {
    cachedData = readCache(path.join(dir, name));
    if (cachedData) break;
  }
  // The wrapper CommonJS gives a module, on the bundle's first line so line numbers stay the file's;
  // plus the import() the bundle calls for what it does not hold (a piccolo.config.mjs, Hono's
  // server): a script compiled from cached data has no working import() of its own.
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname, __piccoloHostImport) {${source}\n})`,
    { filename: bundle, cachedData },
  );
  if (dirs.length > 0 && (cachedData === undefined || script.cachedDataRejected)) {
    process.once("exit", (code) => {
      // A failed run may have stopped early: only a successful one says what the command compiles.
      if (code === 0) writeCache(dirs, id!, name, script.createCachedData());
    });
  }
  const module = new Module(bundle, require.main ?? undefined);
  module.filename = bundle;
  module.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const hostImport = (specifier: string): Promise<unknown> => import(specifier);
  wrapper.call(module.exports, module.exports, Module.createRequire(bundle), module, bundle, __dirname, hostImport);
}

type EnableCompileCache = (dir?: string) => { status: number };

/** Bun and Deno set process.versions.bun / .deno beside their Node compatibility's .node. */
const otherRuntime = "bun" in process.versions || "deno" in process.versions;

function main(): void {
  if (otherRuntime && fs.existsSync(bundle)) {
    require(bundle);
    return;
  }
  const enableCompileCache = (Module as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  if (enableCompileCache && fs.existsSync(bundle)) {
    const { ENABLED, ALREADY_ENABLED } = (Module as unknown as { constants: { compileCacheStatus: Record<string, number> } })
      .constants.compileCacheStatus;
    for (const dir of disabled ? [] : cacheDirectories()) {
      const { status } = enableCompileCache(dir);
      if (status === ENABLED || status === ALREADY_ENABLED) break;
    }
    require(bundle);
    return;
  }
  let source: string;
  try {
    source = fs.readFileSync(bundle, "utf8");
  } catch {
    void import("./main.js");
    return;
  }
  runCached(source);
}

main();
