// The `piccolo` bin (dist/cli/entry.cjs) runs dist/bin/piccolo.cjs, one CommonJS file esbuild builds
// from src/, with V8's compiled code kept between runs. It does what the ES modules of dist/ do: it
// imports an ES module config file, and starts the hash pool's worker threads from dist/bin/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import * as nodeModule from "node:module";
import path from "node:path";
import { tempDir } from "./support/engines.js";
import { baseEnv, bin, root } from "./support/cli.js";

function run(args: string[], cwd: string, env: Record<string, string | undefined> = {}, entry = bin) {
  const result = spawnSync(process.execPath, [entry, ...args], { cwd, env: baseEnv(env), encoding: "utf8", timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A package directory holding the built dist/ and package.json, node_modules linked from this checkout. */
function installedCopy(): { entry: string; cacheDir: string } {
  const pkg = path.join(tempDir(), "pkg");
  mkdirSync(path.join(pkg, "node_modules"), { recursive: true });
  cpSync(path.join(root, "dist"), path.join(pkg, "dist"), { recursive: true });
  cpSync(path.join(root, "package.json"), path.join(pkg, "package.json"));
  for (const name of readdirSync(path.join(root, "node_modules")).filter((name) => name !== ".cache")) {
    symlinkSync(path.join(root, "node_modules", name), path.join(pkg, "node_modules", name));
  }
  return { entry: path.join(pkg, "dist/cli/entry.cjs"), cacheDir: path.join(pkg, "node_modules/.cache/piccolo-ts") };
}

/** Node ≥ 22.1 keeps the cache itself (module.enableCompileCache), in its own layout. */
const nodeCompileCache = "enableCompileCache" in nodeModule;
const files = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

test("the bin keeps compiled code after a successful run only, reuses it, and replaces a damaged one", () => {
  const { entry, cacheDir } = installedCopy();
  const cwd = tempDir();
  const failed = run(["frobnicate"], cwd, {}, entry);
  assert.equal(failed.code, 2);
  if (!nodeCompileCache) assert.deepEqual(files(cacheDir), [], "a failed run keeps nothing (it may have stopped early)");
  for (let i = 0; i < 2; i++) {
    const help = run(["--help"], cwd, {}, entry);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: piccolo /);
  }
  if (nodeCompileCache) return;
  const [cache, ...more] = files(cacheDir);
  assert.ok(cache !== undefined && more.length === 0, `one cache for --help: ${files(cacheDir).join(", ")}`);
  writeFileSync(path.join(cacheDir, cache), "not V8's cached data");
  const again = run(["--help"], cwd, {}, entry);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^Usage: piccolo /);
  assert.notEqual(readFileSync(path.join(cacheDir, cache), "utf8"), "not V8's cached data", "the damaged cache was replaced");
});

test("the bin imports an ES module config file (piccolo.config.mjs) with a top-level await", () => {
  const cwd = tempDir();
  const database = path.join(cwd, "from-config.sqlite");
  // A top-level await: only import() loads that, not require().
  writeFileSync(
    path.join(cwd, "piccolo.config.mjs"),
    `const database = await Promise.resolve(${JSON.stringify(`sqlite:${database}`)});\nexport default { database };\n`,
  );
  const migrated = run(["migrations", "forwards", "user"], cwd);
  assert.equal(migrated.code, 0, migrated.stderr);
  assert.ok(existsSync(database), "the config file named the database");
  const listed = run(["user", "list"], cwd);
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal(listed.stdout, "No data\n");
  assert.equal(listed.stderr, "", "no warning either");
});

test("the bin hashes a new user's password on the pool's worker thread (dist/bin/hash-worker.js)", () => {
  const cwd = tempDir();
  const env = { DATABASE_URL: path.join(cwd, "bin.sqlite"), PICCOLO_USER_PASSWORD: "correct horse battery" };
  assert.equal(run(["migrations", "forwards", "user"], cwd, env).code, 0);
  const created = run(["user", "create", "--username", "alice", "--email", "alice@example.com", "--is_admin", "n", "--is_superuser", "n", "--is_active", "y"], cwd, env);
  assert.equal(created.code, 0, created.stderr);
  const listed = run(["user", "list", "--json"], cwd, env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /"username":\s*"alice"/);
});
