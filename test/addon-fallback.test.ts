// An addon that cannot link, or that was built to take SHA-256 from its host, never takes the process
// down: on Node, Bun and Deno it is not used, `hasherInfo()` and `piccolo doctor` say why, and logins
// hash with the runtime's crypto.pbkdf2 (the same bytes). Before this, the addon took OpenSSL's
// SHA256_* from the Node binary; Bun and Deno do not export them and the process died at the first hash
// ("symbol lookup error: … undefined symbol: SHA256_Init").
//
// Two deliberately broken builds, each made with native/build.mjs and native/binding.gyp (as an install
// makes them) in a copy of the package:
// - "unlinkable": today's addon calling a function no host exports. binding.gyp links with -z now, so the
//   load fails (and the loader falls back) instead of the first call ending the process.
// - "older": an addon as older piccolo-ts built them: bound lazily, calling the host's SHA256_Init,
//   without the `selfContained` mark. The loader refuses it before calling anything (on Node, where
//   SHA256_Init exists, it is refused too: one rule everywhere).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tempDir } from "./support/engines.js";
import { baseEnv, root } from "./support/cli.js";
import { runtimeCommand, runtimeEnv, type RuntimeName } from "./support/runtimes.js";

const NATIVE_FILES = ["binding.gyp", "build.mjs", "pbkdf2.c", "pbkdf2-core.c", "pbkdf2-core.h", "sha256.c", "sha256.h", "sha256-x86.c", "sha256-x86.h", "sha256-arm.c", "sha256-arm.h"];
const VECTOR = { password: "pässwörd✓", iterations: 10_000, salt: "00000000000000000000000000000000", stored: "pbkdf2_sha256$10000$00000000000000000000000000000000$d5c73915bd99f2368be60c245ba4e0497fb82c6a6f9816498fa0938ac1dfb74f" };

type Variant = "unlinkable" | "older";

/** A copy of the package (dist/, native/, package.json; node_modules linked) with its addon edited and built. */
function brokenPackage(variant: Variant): Promise<string> {
  const dir = path.join(tempDir(), variant);
  mkdirSync(path.join(dir, "native"), { recursive: true });
  cpSync(path.join(root, "dist"), path.join(dir, "dist"), { recursive: true });
  writeFileSync(path.join(dir, "package.json"), readFileSync(path.join(root, "package.json")));
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  for (const file of NATIVE_FILES) cpSync(path.join(root, "native", file), path.join(dir, "native", file));
  const source = path.join(dir, "native/pbkdf2.c");
  let c = readFileSync(source, "utf8");
  const entry = "static napi_value pbkdf2_with(napi_env env, napi_callback_info info, pbkdf2_kernel kernel) {\n";
  assert.ok(c.includes(entry), "pbkdf2.c changed: update this test's edit");
  if (variant === "unlinkable") {
    c = c.replace(entry, `extern void piccolo_symbol_no_host_exports(void);\n${entry}  piccolo_symbol_no_host_exports();\n`);
  } else {
    const mark = /\n  napi_value self_contained;[\s\S]*?return NULL;\n/;
    assert.match(c, mark, "pbkdf2.c changed: update this test's edit");
    c = c.replace(mark, "\n").replace(entry, `extern int SHA256_Init(void *c);\n${entry}  { unsigned char openssl_ctx[112]; SHA256_Init(openssl_ctx); }\n`);
    const gyp = path.join(dir, "native/binding.gyp");
    writeFileSync(gyp, readFileSync(gyp, "utf8").replace(/"conditions":[\s\S]*?\]\s*\]/, '"conditions": []'));
  }
  writeFileSync(source, c);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["native/build.mjs"], { cwd: dir, env: baseEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("exit", () => {
      if (existsSync(path.join(dir, "native/build/Release/piccolo_pbkdf2.node"))) resolve(dir);
      else reject(new Error(`the ${variant} addon did not build: ${output}`));
    });
  });
}

const packages: Partial<Record<Variant, string>> = {};
before(async () => {
  [packages.unlinkable, packages.older] = await Promise.all([brokenPackage("unlinkable"), brokenPackage("older")]);
});

/** Hashes through the pool and on the calling thread, then reports what hasherInfo() says. */
const SCRIPT = `
const { hashPassword, hashPasswordSync, verifyPassword, hasherInfo } = await import(process.argv.at(-1));
const v = ${JSON.stringify(VECTOR)};
const pool = await hashPassword(v.password, v.iterations, v.salt);
const sync = hashPasswordSync(v.password, v.iterations, v.salt);
const verified = await verifyPassword(v.password, v.stored);
const { implementation, reason, runtime } = hasherInfo();
console.log(JSON.stringify({ pool, sync, verified, implementation, reason, runtime }));
`;

const REASONS: Record<Variant, RegExp> = {
  unlinkable: /^the addon did not load: .*undefined symbol: piccolo_symbol_no_host_exports/,
  older: /^the addon was built by an older piccolo-ts, on the host's OpenSSL/,
};

for (const name of ["node", "bun", "deno"] as RuntimeName[]) {
  for (const variant of ["unlinkable", "older"] as Variant[]) {
    test(`${name}, the ${variant} addon: hashing falls back to crypto.pbkdf2 (same hashes), hasherInfo and doctor say why, no crash`, () => {
      const runtime = runtimeCommand(name);
      if (runtime instanceof Error) throw runtime;
      const dir = packages[variant]!;
      const script = path.join(dir, "fallback-check.mjs");
      writeFileSync(script, SCRIPT);
      const env = runtimeEnv(baseEnv());
      const child = spawnSync(runtime.command, [...runtime.args, script, path.join(dir, "dist/index.js")], { cwd: dir, env, encoding: "utf8", timeout: 60_000 });
      assert.equal(child.status, 0, `exit ${child.status} ${child.signal ?? ""}\n${child.stdout}\n${child.stderr}`);
      const report = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
      assert.deepEqual([report.pool, report.sync, report.verified], [VECTOR.stored, VECTOR.stored, true]);
      assert.equal(report.implementation, "node-crypto");
      assert.match(String(report.reason), REASONS[variant]);
      assert.match(String(report.runtime), new RegExp(`^${{ node: "Node\\.js", bun: "Bun", deno: "Deno" }[name]} `));

      const doctor = spawnSync(runtime.command, [...runtime.args, path.join(dir, "dist/cli/entry.cjs"), "doctor"], { cwd: dir, env, encoding: "utf8", timeout: 60_000 });
      assert.equal(doctor.status, 0, `${doctor.stdout}\n${doctor.stderr}`);
      assert.match(doctor.stdout, /Password hashing: \S+'s crypto\.pbkdf2 \(the addon (did not load|was built by an older)/);
    });
  }
}
