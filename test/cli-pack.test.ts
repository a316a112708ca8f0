// `npm pack` makes a package that works where it is installed: into an empty directory, then
// `npx piccolo migrations forwards user` and `npx piccolo user create …` on the SQLite default there.
//
// better-sqlite3 compiles its native addon on install when no prebuilt one can be downloaded, which takes
// about a minute. By default the install runs with --ignore-scripts and the addon this checkout already
// built (same better-sqlite3 version, same Node) is copied into place; PICCOLO_TEST_PACK_FULL=1 runs the
// install scripts instead.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tempDir } from "./support/engines.js";
import { baseEnv, root } from "./support/cli.js";

function run(command: string, args: string[], cwd: string, input?: string) {
  const result = spawnSync(command, args, {
    cwd,
    env: baseEnv({ npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" }),
    input: input ?? "",
    encoding: "utf8",
    timeout: 300_000,
  });
  return { code: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "", error: result.error };
}

const show = (r: { code: number | null; stdout: string; stderr: string }) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

test("npm pack, installed into an empty directory: npx piccolo migrates and creates a user there", async () => {
  const dir = tempDir();
  const app = path.join(dir, "app");
  mkdirSync(app);

  const packed = run("npm", ["pack", "--json", "--pack-destination", dir], root);
  assert.equal(packed.code, 0, show(packed));
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  assert.ok(info);
  const files = info.files.map((file) => file.path);
  assert.ok(files.includes("dist/cli/main.js"), "the bin is packed");
  // The bin is the small loader of the one-file bundle of the command.
  const binFile = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { bin: { piccolo: string } }).bin.piccolo;
  assert.ok(files.includes(binFile) && files.includes("dist/cli/piccolo.bundle.cjs"), "the bin and its bundle are packed");
  assert.match(readFileSync(path.join(root, binFile), "utf8"), /^#!\/usr\/bin\/env node\n/);
  assert.ok(files.includes("package.json") && files.includes("README.md"));
  assert.ok(!files.some((file) => file.startsWith("src/") || file.startsWith("test/") || file.startsWith("build/")), "no sources or tests");
  assert.match(readFileSync(path.join(root, "dist/cli/main.js"), "utf8"), /^#!\/usr\/bin\/env node\n/);

  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "empty-app", version: "1.0.0", private: true }));
  const full = process.env.PICCOLO_TEST_PACK_FULL === "1";
  const install = run(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", ...(full ? [] : ["--ignore-scripts"]), path.join(dir, info.filename)],
    app,
  );
  assert.equal(install.code, 0, show(install));
  if (!full) {
    const version = (dir: string) =>
      (JSON.parse(readFileSync(path.join(dir, "node_modules/better-sqlite3/package.json"), "utf8")) as { version: string }).version;
    assert.equal(version(app), version(root), "the same better-sqlite3 as this checkout");
    const addon = "node_modules/better-sqlite3/build/Release/better_sqlite3.node";
    mkdirSync(path.dirname(path.join(app, addon)), { recursive: true });
    copyFileSync(path.join(root, addon), path.join(app, addon));
  }
  assert.ok(existsSync(path.join(app, "node_modules/.bin/piccolo")), "npm linked the bin");

  // `npx --no`: the installed package's bin, never one fetched from the registry.
  const migrated = run("npx", ["--no", "piccolo", "migrations", "forwards", "user"], app);
  assert.equal(migrated.code, 0, show(migrated));
  assert.match(migrated.stdout, /3 migrations not yet run for user/);
  assert.ok(existsSync(path.join(app, "piccolo.sqlite")), "the embedded default, in the app's directory");

  const created = run(
    "npx",
    ["--no", "piccolo", "user", "create", "--username=packed", "--email=packed@example.com", "--password-stdin", "--is_admin=t", "--is_superuser=f", "--is_active=t"],
    app,
    "packed-pass-1\n",
  );
  assert.equal(created.code, 0, show(created));
  assert.match(created.stdout, /^Created User 1\n$/);

  const listed = run("npx", ["--no", "piccolo", "user", "list", "--json"], app);
  assert.equal(listed.code, 0, show(listed));
  const users = JSON.parse(listed.stdout) as { username: string; admin: boolean }[];
  assert.deepEqual(users.map((u) => [u.username, u.admin]), [["packed", true]]);
  assert.ok(!(migrated.stdout + created.stdout + created.stderr + listed.stdout).includes("packed-pass-1"));
  // The installed bin ran the bundle and kept its compiled code next to the package.
  assert.ok(readdirSync(path.join(app, "node_modules/.cache/piccolo-ts")).length > 0, "a compile cache in the app's node_modules/.cache");
});
