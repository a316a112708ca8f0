// `npm pack` packs a build of the sources being packed: its `prepare` step (scripts/prepare.mjs) builds
// again when a source changed since the last build, and leaves a build of the same sources alone. Run on
// a copy of this checkout (its node_modules linked, not copied), so the checkout's own dist/ is never
// rebuilt under the other tests. One build, about 15 seconds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tempDir } from "./support/engines.js";
import { baseEnv, root } from "./support/cli.js";

// The checkout's files a pack reads: the build's inputs and every native source the package lists (the
// prebuilt addons are built by the pack itself).
const NATIVE_SOURCES = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { files: string[] }).files.filter(
  (file) => file.startsWith("native/") && !file.startsWith("native/prebuilt/"),
);
const COPIED = ["src", "scripts", "dist", ...NATIVE_SOURCES, "package.json", "package-lock.json", "tsconfig.json", "README.md"];

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, {
    cwd,
    env: baseEnv({ npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" }),
    encoding: "utf8",
    timeout: 10 * 60_000,
  });
  return { code: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

const show = (r: { code: number | null; stdout: string; stderr: string }) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

/** `npm pack` in `checkout`; the tarball's files as extracted under `into`. */
function pack(checkout: string, into: string): { files: string[]; dir: string } {
  mkdirSync(into, { recursive: true });
  const packed = run("npm", ["pack", "--json", "--pack-destination", into], checkout);
  assert.equal(packed.code, 0, show(packed));
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  assert.ok(info, show(packed));
  const untar = run("tar", ["-xzf", path.join(into, info.filename), "-C", into], into);
  assert.equal(untar.code, 0, show(untar));
  return { files: info.files.map((file) => file.path), dir: path.join(into, "package") };
}

test("npm pack after a source change packs a new build of it (no stale dist/), and a fresh build is packed as it is", { timeout: 15 * 60_000 }, () => {
  assert.ok(existsSync(path.join(root, "dist/.build-inputs")), "npm run build records its inputs");
  const checkout = path.join(tempDir(), "checkout");
  for (const item of COPIED) cpSync(path.join(root, item), path.join(checkout, item), { recursive: true });
  symlinkSync(path.join(root, "node_modules"), path.join(checkout, "node_modules"), "dir");

  // The copy's dist/ is a build of the copy's sources: packed as it is, not built again.
  const before = statSync(path.join(checkout, "dist/index.js")).mtimeMs;
  const first = pack(checkout, path.join(checkout, "..", "first"));
  assert.equal(statSync(path.join(checkout, "dist/index.js")).mtimeMs, before, "an up-to-date dist/ was rebuilt");
  assert.ok(first.files.includes("dist/index.js"));
  assert.ok(!first.files.includes("dist/.build-inputs"), "the build's record of its inputs is not shipped");

  // The README's `npm pack --loglevel=warn`: the tarball's name, not a notice line per packed file.
  const quiet = run("npm", ["pack", "--dry-run", "--loglevel=warn"], checkout);
  assert.equal(quiet.code, 0, show(quiet));
  const lines = `${quiet.stdout}${quiet.stderr}`.trim().split("\n");
  assert.ok(lines.length <= 5, `npm pack printed ${lines.length} lines:\n${lines.slice(0, 10).join("\n")}`);
  assert.match(quiet.stdout, /piccolo-ts-[\d.]+\.tgz/);
  assert.match(readFileSync(path.join(root, "README.md"), "utf8"), /npm ci && npm pack --loglevel=warn/);

  // A change to a source, and a module left in dist/ by a source since deleted.
  const probe = `pack-probe-${randomBytes(4).toString("hex")}`;
  appendFileSync(path.join(checkout, "src/index.ts"), `\nexport const PACK_PROBE = "${probe}";\n`);
  writeFileSync(path.join(checkout, "dist/removed-module.js"), "export {};\n");
  const second = pack(checkout, path.join(checkout, "..", "second"));
  assert.match(readFileSync(path.join(second.dir, "dist/index.js"), "utf8"), new RegExp(probe), "the tarball holds the old build");
  assert.match(readFileSync(path.join(second.dir, "dist/index.d.ts"), "utf8"), /PACK_PROBE/);
  assert.ok(!second.files.includes("dist/removed-module.js"), "a module without a source was packed");
  // The bin is built as well.
  assert.ok(second.files.includes("dist/bin/piccolo.cjs"), "the bin is packed");
});
