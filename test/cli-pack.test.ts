// `npm pack` makes a package that works where it is installed, as a new user installs it (README, Quick
// start): the tarball goes into an empty directory with a plain `npm install <tgz>` — install scripts and
// all, so better-sqlite3 builds or fetches its native addon there, not copied from this checkout. Then
// `npx piccolo --help`, `migrations forwards user`, `user create` and `user list` run on the SQLite
// default in that directory, and a TypeScript file importing piccolo-ts type-checks against the
// installed types. The install takes a minute or two when the addon is compiled. A second install of the
// same tarball with `--ignore-scripts` hashes on the prebuilt native addon (linux-x64, linux-arm64).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { pbkdf2Sync } from "node:crypto";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tempDir } from "./support/engines.js";
import { baseEnv, root } from "./support/cli.js";

function run(command: string, args: string[], cwd: string, input?: string) {
  const result = spawnSync(command, args, {
    cwd,
    env: baseEnv({ npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" }),
    input: input ?? "",
    encoding: "utf8",
    // Compiling better-sqlite3 takes about a minute on an idle machine, many on a loaded one.
    timeout: INSTALL_LIMIT_MS,
  });
  return { code: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "", error: result.error };
}

const INSTALL_LIMIT_MS = 25 * 60_000;

/** The iteration loop this checkout's own addon chose on this CPU: the installed one must choose the same. */
const addonKernel = () => (createRequire(import.meta.url)(path.join(root, "native/build/Release/piccolo_pbkdf2.node")) as { kernel: string }).kernel;

const show = (r: { code: number | null; stdout: string; stderr: string; error?: Error }) =>
  `exit ${r.code}${r.error ? ` (${r.error.message})` : ""}\n${r.stdout}\n${r.stderr}`;

/** Files a package must never ship: tests, sources, build output of tests, local databases, credentials. */
const FORBIDDEN = [
  /^(src|test|build|bench|scripts|examples|docs|node_modules)\//,
  /(^|\/)\.env(\.|$)/,
  /(^|\/)\.npmrc$/,
  /(^|\/)\.git(\/|$)/,
  /\.(pem|key|p12|pfx|sqlite|sqlite3|db|log|tgz)$/,
  /\.test\.[cm]?[jt]s$/,
  /(^|\/)id_(rsa|ed25519)/,
  // Source maps point into src/, which is not shipped: they would only make stack traces name missing files.
  /\.map$/,
  // The bin's declaration file: nothing imports the bin.
  /\.d\.cts$/,
];

const NATIVE_SOURCES = [
  ...["binding.gyp", "build.mjs", "pbkdf2.c", "pbkdf2-core.c", "pbkdf2-core.h", "sha256.c", "sha256.h", "sha256-x86.c", "sha256-x86.h", "sha256-arm.c", "sha256-arm.h"],
  // Built by `prepare` (scripts/prebuild.sh) when npm packs: no compiler needed where these run.
  ...["prebuilt/linux-x64/piccolo_pbkdf2.node", "prebuilt/linux-arm64/piccolo_pbkdf2.node"],
].map((file) => `native/${file}`);

test("npm pack, installed for real into an empty directory: its files, bin and types; npx piccolo migrates, creates and lists there", { timeout: INSTALL_LIMIT_MS + 5 * 60_000 }, async () => {
  const dir = tempDir();
  const app = path.join(dir, "app");
  mkdirSync(app);

  const packed = run("npm", ["pack", "--json", "--pack-destination", dir], root);
  assert.equal(packed.code, 0, show(packed));
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  assert.ok(info);
  const files = info.files.map((file) => file.path);
  // Only the build, the README and the manifest: nothing else a user would download.
  for (const file of files) {
    const shipped = file.startsWith("dist/") || ["README.md", "package.json", "LICENSE"].includes(file) || NATIVE_SOURCES.includes(file);
    assert.ok(shipped, `unexpected file in the tarball: ${file}`);
    for (const pattern of FORBIDDEN) assert.doesNotMatch(file, pattern, `the tarball ships ${file}`);
  }
  for (const needed of ["package.json", "README.md", "LICENSE", "dist/index.js", "dist/index.d.ts", "dist/cli/main.js"]) {
    assert.ok(files.includes(needed), `${needed} is not in the tarball`);
  }
  for (const source of NATIVE_SOURCES) assert.ok(files.includes(source), `${source} is not in the tarball (the install builds it)`);
  // The bin is the small loader of the one-file bundle of the command (its worker threads beside it).
  const packedBin = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { bin: { piccolo: string } }).bin.piccolo;
  for (const file of [packedBin, "dist/bin/piccolo.cjs", "dist/bin/hash-worker.js", "dist/bin/sync-worker.js"]) assert.ok(files.includes(file), `${file} is not packed`);
  // Every module of the library has its declarations next to it (the bin's files are no API).
  for (const file of files.filter((f) => f.endsWith(".js") && f.startsWith("dist/") && !f.startsWith("dist/bin/"))) {
    assert.ok(files.includes(file.replace(/\.js$/, ".d.ts")), `${file} has no .d.ts in the tarball`);
  }

  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "empty-app", version: "1.0.0", private: true, type: "module" }));
  const installStarted = Date.now();
  // As the README tells a user: no --ignore-scripts, nothing copied from this checkout.
  const install = run("npm", ["install", "--no-audit", "--no-fund", path.join(dir, info.filename)], app);
  assert.equal(install.code, 0, show(install));
  const addon = path.join(app, "node_modules/better-sqlite3/build/Release/better_sqlite3.node");
  assert.ok(existsSync(addon), `the install did not build or fetch better-sqlite3's addon\n${show(install)}`);
  assert.ok(statSync(addon).mtimeMs >= installStarted - 1000, "the addon was not made by this install");

  // The installed manifest: its bin and its types point at files that are there.
  const installed = path.join(app, "node_modules/piccolo-ts");
  const manifest = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8")) as {
    bin: Record<string, string>;
    types: string;
    exports: { ".": { types: string } };
  };
  // Two names for one command: `piccolo` as Piccolo's, `piccolo-ts` for `npx piccolo-ts` where the registry's `piccolo` is another package.
  assert.deepEqual(Object.keys(manifest.bin), ["piccolo", "piccolo-ts"]);
  assert.equal(manifest.bin["piccolo-ts"], manifest.bin.piccolo);
  const binFile = path.join(installed, manifest.bin.piccolo!);
  assert.match(readFileSync(binFile, "utf8"), /^#!\/usr\/bin\/env node\n/, "the bin starts with a node shebang");
  assert.ok(existsSync(path.join(app, "node_modules/.bin/piccolo")), "npm linked the bin");
  assert.ok(existsSync(path.join(app, "node_modules/.bin/piccolo-ts")), "npm linked the second bin name");
  assert.ok(existsSync(path.join(installed, manifest.types)), `types ${manifest.types} is not installed`);
  assert.ok(existsSync(path.join(installed, manifest.exports["."].types)), "exports['.'].types is not installed");

  // `npx --no -- piccolo`: the installed package's bin, never one fetched from the registry.
  const help = run("npx", ["--no", "--", "piccolo", "--help"], app);
  assert.equal(help.code, 0, show(help));
  assert.match(help.stdout, /^Usage: piccolo /);
  assert.match(help.stdout, /migrations/);
  const named = run("npx", ["--no", "--", "piccolo-ts", "--version"], app);
  assert.equal(named.code, 0, show(named));
  assert.match(named.stdout, /^\d+\.\d+\.\d+/);

  const migrated = run("npx", ["--no", "--", "piccolo", "migrations", "forwards", "user"], app);
  assert.equal(migrated.code, 0, show(migrated));
  assert.match(migrated.stdout, /3 migrations not yet run for user/);
  assert.ok(existsSync(path.join(app, "piccolo.sqlite")), "the embedded default, in the app's directory");

  const created = run(
    "npx",
    ["--no", "--", "piccolo", "user", "create", "--username=packed", "--email=packed@example.com", "--password-stdin", "--is_admin=t", "--is_superuser=f", "--is_active=t"],
    app,
    "packed-pass-1\n",
  );
  assert.equal(created.code, 0, show(created));
  assert.match(created.stdout, /^Created User 1\n$/);

  const listed = run("npx", ["--no", "--", "piccolo", "user", "list", "--json"], app);
  assert.equal(listed.code, 0, show(listed));
  const users = JSON.parse(listed.stdout) as { username: string; admin: boolean }[];
  assert.deepEqual(users.map((u) => [u.username, u.admin]), [["packed", true]]);
  assert.ok(!(migrated.stdout + created.stdout + created.stderr + listed.stdout).includes("packed-pass-1"));
  // The installed bin ran the bundle and kept its compiled code next to the package.
  assert.ok(readdirSync(path.join(app, "node_modules/.cache/piccolo-ts")).length > 0, "a compile cache in the app's node_modules/.cache");
  // The native PBKDF2 addon is in use: on linux-x64 and linux-arm64 the prebuilt one (the install step
  // loads it and compiles nothing), elsewhere the one the install step built from the packed sources.
  const doctor = run("npx", ["--no", "--", "piccolo", "doctor", "--json"], app);
  assert.equal(doctor.code, 0, show(doctor));
  const { hasher } = JSON.parse(doctor.stdout) as { hasher: { implementation: string; kernel: string; binary: string } };
  assert.equal(hasher.implementation, "native", doctor.stdout);
  assert.equal(hasher.kernel, addonKernel(), doctor.stdout);
  const shipped = ["linux-x64", "linux-arm64"].includes(`${process.platform}-${process.arch}`);
  assert.equal(hasher.binary, shipped ? "prebuilt" : "source", doctor.stdout);
  assert.equal(existsSync(path.join(installed, "native/build")), !shipped, "the install step compiled only where no prebuilt addon fits");

  // A user's TypeScript sees the package's types: right calls compile, a wrong one is an error (the
  // expect-error directive would itself be an error if the types were missing or `any`).
  writeFileSync(
    path.join(app, "check.ts"),
    [
      'import { BaseUser, type User } from "piccolo-ts";',
      "class AppUser extends BaseUser {",
      "  static override minPasswordLength = 10;",
      "}",
      'const id: Promise<number | null> = AppUser.login("bob", "secret-pass");',
      "const users: Promise<User[]> = AppUser.listUsers({ limit: 5 });",
      "// @ts-expect-error login takes a username and a password",
      "void AppUser.login(42);",
      "void id;",
      "void users;",
      "",
    ].join("\n"),
  );
  writeFileSync(
    path.join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", noEmit: true, skipLibCheck: true, types: [] },
      files: ["check.ts"],
    }),
  );
  const tsc = run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], app);
  assert.equal(tsc.code, 0, `a file importing piccolo-ts does not type-check:\n${show(tsc)}`);

  // With install scripts turned off (npm's approval prompt declined, `--ignore-scripts`): no compiler
  // runs, and on linux-x64 and linux-arm64 logins still hash on the native loop, the prebuilt one.
  const bare = path.join(dir, "no-scripts");
  mkdirSync(bare);
  writeFileSync(path.join(bare, "package.json"), JSON.stringify({ name: "no-scripts-app", version: "1.0.0", private: true, type: "module" }));
  const bareInstall = run("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", path.join(dir, info.filename)], bare);
  assert.equal(bareInstall.code, 0, show(bareInstall));
  const script = [
    'import { hashPassword, hasherInfo } from "piccolo-ts";',
    'const stored = await hashPassword("packed-pass-1", 1000, "0123456789abcdef0123456789abcdef");',
    "const { implementation, kernel, binary, lanes } = hasherInfo();",
    "console.log(JSON.stringify({ stored, implementation, kernel, binary, lanes }));",
  ].join("\n");
  writeFileSync(path.join(bare, "hash.mjs"), script);
  const hashed = run(process.execPath, ["hash.mjs"], bare);
  assert.equal(hashed.code, 0, show(hashed));
  const result = JSON.parse(hashed.stdout) as { stored: string; implementation: string; kernel: string; binary: string; lanes: number };
  const key = pbkdf2Sync("packed-pass-1", "0123456789abcdef0123456789abcdef", 1000, 32, "sha256").toString("hex");
  assert.equal(result.stored, `pbkdf2_sha256$1000$0123456789abcdef0123456789abcdef$${key}`);
  if (shipped) assert.deepEqual([result.implementation, result.kernel, result.binary], ["native", addonKernel(), "prebuilt"], hashed.stdout);
  assert.ok(!existsSync(path.join(bare, "node_modules/piccolo-ts/native/build")), "nothing was compiled");
});
