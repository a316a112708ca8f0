// The `piccolo` bin (dist/cli/entry.cjs) runs the one-file bundle of the command with V8's compiled
// code kept between runs. These run a copy of the built bin and bundle in a package directory of their
// own, so where the cache goes (its node_modules/.cache, else XDG_CACHE_HOME) is the test's to decide.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { freshDatabaseUrl, tempDir, testEngines } from "./support/engines.js";
import { baseEnv, bin, root } from "./support/cli.js";

const nodeCompileCache = typeof (createRequire(import.meta.url)("node:module") as { enableCompileCache?: unknown }).enableCompileCache === "function";

/** A package directory holding the built bin and bundle, with better-sqlite3 linked from this checkout. */
function installedCopy(): { pkg: string; entry: string; cacheDir: string; xdg: string } {
  const dir = tempDir();
  const pkg = path.join(dir, "pkg");
  mkdirSync(path.join(pkg, "dist/cli"), { recursive: true });
  mkdirSync(path.join(pkg, "node_modules"));
  copyFileSync(path.join(root, "package.json"), path.join(pkg, "package.json"));
  copyFileSync(bin, path.join(pkg, "dist/cli/entry.cjs"));
  copyFileSync(path.join(root, "dist/cli/piccolo.bundle.cjs"), path.join(pkg, "dist/cli/piccolo.bundle.cjs"));
  for (const name of ["better-sqlite3", "bindings", "file-uri-to-path"]) {
    if (existsSync(path.join(root, "node_modules", name))) symlinkSync(path.join(root, "node_modules", name), path.join(pkg, "node_modules", name));
  }
  return {
    pkg,
    entry: path.join(pkg, "dist/cli/entry.cjs"),
    cacheDir: path.join(pkg, "node_modules/.cache/piccolo-ts"),
    xdg: path.join(dir, "xdg"),
  };
}

function run(entry: string, args: string[], cwd: string, env: Record<string, string | undefined>) {
  const result = spawnSync(process.execPath, [entry, ...args], { cwd, env: baseEnv(env), encoding: "utf8", timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const files = (dir: string) => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : []);

test("the bin keeps compiled code after a successful run, reuses it, and replaces a damaged one", () => {
  const { pkg, entry, cacheDir, xdg } = installedCopy();
  const env = { XDG_CACHE_HOME: xdg };
  const cwd = tempDir();

  const first = run(entry, ["--help"], cwd, env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^Usage: piccolo /);
  assert.ok(files(cacheDir).length > 0, "a cache next to the package");
  assert.deepEqual(files(xdg), [], "the user cache only when the package's node_modules cannot be written");

  const migrated = run(entry, ["migrations", "forwards", "user"], cwd, env);
  assert.equal(migrated.code, 0, migrated.stderr);
  const listed = run(entry, ["user", "list"], cwd, env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal(listed.stdout, "No data\n");
  assert.equal(run(entry, ["user", "list"], cwd, env).stdout, "No data\n");

  if (nodeCompileCache) return; // Node ≥ 22.1 keeps the cache itself (module.enableCompileCache)
  const caches = files(cacheDir);
  const help = caches.find((file) => file.endsWith("-none.v8cache"));
  const list = caches.find((file) => file.endsWith("-user-list.v8cache"));
  assert.ok(help && list, `one cache per command: ${caches.join(", ")}`);
  assert.ok(caches.some((file) => file.endsWith("-migrations-forwards.v8cache")));

  // Reused as it is: V8 accepted it, so nothing is written (a rewrite is a new file, by rename).
  const inode = statSync(path.join(cacheDir, list)).ino;
  assert.equal(run(entry, ["user", "list"], cwd, env).code, 0);
  assert.equal(statSync(path.join(cacheDir, list)).ino, inode, "an accepted cache is not rewritten");

  // A damaged cache is rejected by V8: the command still runs, and the cache is written again.
  writeFileSync(path.join(cacheDir, list), Buffer.alloc(4096, 7));
  const damaged = run(entry, ["user", "list"], cwd, env);
  assert.equal(damaged.code, 0, damaged.stderr);
  assert.equal(damaged.stdout, "No data\n");
  assert.notEqual(statSync(path.join(cacheDir, list)).size, 4096, "replaced");
  assert.ok(existsSync(path.join(pkg, "package.json")));
});

// pg is in the bundle (its ~30 files cost a PostgreSQL command more than all the rest); the copy has no
// node_modules/pg. A PostgreSQL run keeps a cache of its own, so SQLite runs never load pg's compiled code.
for (const engine of testEngines.filter((name) => name === "postgres")) {
  test(`on ${engine}: the bin needs no installed pg, and keeps a cache per engine`, async () => {
    const { pkg, entry, cacheDir, xdg } = installedCopy();
    const env = { XDG_CACHE_HOME: xdg };
    const cwd = tempDir();
    assert.equal(existsSync(path.join(pkg, "node_modules/pg")), false);
    const url = await freshDatabaseUrl(engine);
    assert.equal(run(entry, ["migrations", "forwards", "user", "--db", url], cwd, env).code, 0);
    for (let i = 0; i < 2; i++) {
      const listed = run(entry, ["user", "list", "--db", url], cwd, env);
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(listed.stdout, "No data\n");
    }
    assert.equal(run(entry, ["user", "list"], cwd, { ...env, DATABASE_URL: url }).stdout, "No data\n");
    if (nodeCompileCache) return;
    const caches = files(cacheDir);
    assert.ok(caches.some((file) => file.endsWith("-user-list-pg.v8cache")), caches.join(", "));
    assert.ok(!caches.some((file) => file.endsWith("-user-list.v8cache")), `no SQLite cache from a PostgreSQL run: ${caches.join(", ")}`);
  });

  test(`on ${engine}: loading pg (which looks for a navigator) leaves the process's globals as they were`, async () => {
    const url = await freshDatabaseUrl(engine);
    const script = `
      const had = "navigator" in globalThis;
      const { BaseUser, migrateForwards, closeDatabases } = await import(${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)});
      await migrateForwards("user", { database: ${JSON.stringify(url)} });
      class U extends BaseUser { static database = ${JSON.stringify(url)}; }
      console.log(JSON.stringify({ had, has: "navigator" in globalThis, users: await U.countUsers() }));
      await closeDatabases();`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    assert.equal(child.status, 0, child.stderr);
    const { had, has, users } = JSON.parse(child.stdout) as { had: boolean; has: boolean; users: number };
    assert.equal(has, had);
    assert.equal(users, 0);
  });
}

test("the bin runs uncached when no cache directory can be written, when told not to, or after a failure", () => {
  const { entry, cacheDir, xdg } = installedCopy();
  const cwd = tempDir();
  // Regular files where the directories would go: mkdir fails even for root.
  mkdirSync(path.dirname(cacheDir), { recursive: true });
  writeFileSync(cacheDir, "not a directory");
  writeFileSync(xdg, "not a directory");
  const env = { XDG_CACHE_HOME: xdg, HOME: xdg };
  const help = run(entry, ["--help"], cwd, env);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: piccolo /);
  assert.equal(help.stderr, "");

  const other = installedCopy();
  const writable = { XDG_CACHE_HOME: other.xdg };
  assert.equal(run(other.entry, ["--help"], cwd, { ...writable, NODE_DISABLE_COMPILE_CACHE: "1" }).code, 0);
  assert.deepEqual(files(other.cacheDir), [], "NODE_DISABLE_COMPILE_CACHE=1: nothing kept");
  if (nodeCompileCache) return;
  const failed = run(other.entry, ["frobnicate"], cwd, writable);
  assert.equal(failed.code, 2);
  assert.deepEqual(files(other.cacheDir), [], "a failed run keeps nothing (it may have stopped early)");
});

test("with its compiled code cached, the bin still imports an ES module config file (piccolo.config.mjs)", () => {
  const { entry, xdg } = installedCopy();
  const cwd = tempDir();
  const database = path.join(cwd, "from-config.sqlite");
  writeFileSync(path.join(cwd, "piccolo.config.mjs"), `export default { database: ${JSON.stringify(`sqlite:${database}`)} };\n`);
  const env = { XDG_CACHE_HOME: xdg };
  assert.equal(run(entry, ["migrations", "forwards", "user"], cwd, env).code, 0);
  assert.ok(existsSync(database), "the config file named the database");
  // The first run writes the cache, the next ones run from it: each reads the config file.
  for (let i = 0; i < 3; i++) {
    const listed = run(entry, ["user", "list"], cwd, env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, "No data\n");
    assert.equal(listed.stderr, "", "no warning either");
  }
});

