// The `piccolo` bin (dist/bin/piccolo.cjs, one CommonJS file esbuild builds from src/) does what the
// ES modules of dist/ do: it imports an ES module config file, and starts the hash pool's worker
// threads from its own folder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tempDir } from "./support/engines.js";
import { baseEnv, bin } from "./support/cli.js";

function run(args: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, env: baseEnv(env), encoding: "utf8", timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

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
