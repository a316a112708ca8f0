// The addon's C on arm64, where Node for arm64 is not at hand: native/test/vectors.c links the addon's
// own C files (pbkdf2-core.c, sha256.c, sha256-arm.c: everything but the N-API binding), cross compiled
// with Debian's gcc-aarch64-linux-gnu and run under qemu-aarch64, against crypto.pbkdf2Sync's keys for
// fast-check's inputs. It must report the ARMv8 SHA-2 loop with two lanes (qemu's default CPU has the
// SHA-2 instructions; every qemu CPU model has them, so the portable loop is checked by calling it
// directly), and it checks that loop, the portable one and pairs. The same harness runs on
// this machine's CPU too, and the shipped arm64 binary is checked for what it links.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { pbkdf2Sync } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { root } from "./support/cli.js";
import { tempDir } from "./support/engines.js";

const has = (command: string) => spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
/** Outside CI a machine without the tools skips (with this reason); .ci/run installs them, and on CI a skip fails the run. */
const toolsSkip: string | false =
  (!has("aarch64-linux-gnu-gcc") || !has("qemu-aarch64")) && process.env.CI !== "true"
    ? "gcc-aarch64-linux-gnu or qemu-user is not installed (apt-get install gcc-aarch64-linux-gnu qemu-user)"
    : false;

const SOURCES = ["native/pbkdf2-core.c", "native/sha256.c", "native/sha256-x86.c", "native/sha256-arm.c", "native/test/vectors.c"].map((file) => path.join(root, file));
const hex = (bytes: Uint8Array) => (bytes.length ? Buffer.from(bytes).toString("hex") : "-");

/** fast-check's cases with crypto.pbkdf2Sync's keys, one a line, as vectors.c reads them. */
function knownAnswers(runs: number): { file: string; count: number } {
  const cases = fc.sample(
    fc.tuple(
      // Keys over 64 bytes (HMAC hashes them first), salts up to 100 bytes, keys of up to 4 blocks.
      fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 65, maxLength: 300 })),
      fc.uint8Array({ maxLength: 100 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 100 }),
    ),
    { numRuns: runs, seed: Date.now() },
  );
  // Piccolo's own shape too: a 32-byte key of 10 000 iterations, once alone-length and once in a pair.
  const lines = cases.map(([password, salt, iterations, keyLength]) => [hex(password), hex(salt), iterations, hex(pbkdf2Sync(password, salt, iterations, keyLength, "sha256"))].join(" "));
  const piccolo = pbkdf2Sync("pässwörd✓", "00000000000000000000000000000000", 10_000, 32, "sha256");
  lines.push([hex(Buffer.from("pässwörd✓")), hex(Buffer.from("00000000000000000000000000000000")), 10_000, hex(piccolo)].join(" "));
  const file = path.join(tempDir(), "known-answers.txt");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return { file, count: lines.length };
}

function compileAndRun(compiler: string, runner: string[], file: string) {
  const binary = path.join(tempDir(), "vectors");
  const built = spawnSync(compiler, ["-O3", "-std=c11", "-Wall", "-Wextra", "-Werror", "-o", binary, ...SOURCES], { encoding: "utf8" });
  assert.equal(built.status, 0, built.stderr);
  const [command, ...args] = [...runner, binary, file];
  return spawnSync(command!, args, { encoding: "utf8", timeout: 300_000 });
}

test("arm64 (qemu-aarch64): the ARMv8 SHA-2 loop, one and two lanes, and the portable loop give crypto.pbkdf2's keys on 3 000 fast-check cases", { skip: toolsSkip }, () => {
  const { file, count } = knownAnswers(3000);
  const run = compileAndRun("aarch64-linux-gnu-gcc", ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"], file);
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  assert.equal(run.stdout.trim(), `kernel=armv8-sha2 lanes=2 cases=${count}`);
});

test("this machine's CPU: the same harness, on its best loop (SHA-NI where present) and the portable one", () => {
  const { file, count } = knownAnswers(1000);
  const run = compileAndRun("cc", [], file);
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  const shaNi = process.arch === "x64" && /\bsha_ni\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
  if (shaNi) assert.equal(run.stdout.trim(), `kernel=sha-ni lanes=2 cases=${count}`);
  else assert.match(run.stdout.trim(), new RegExp(`^kernel=(portable lanes=1|armv8-sha2 lanes=2) cases=${count}$`));
});

test("the shipped linux-arm64 addon is an AArch64 N-API library, linked -z now, taking only napi_* and libc from its host", { skip: toolsSkip }, () => {
  const addon = path.join(root, "native/prebuilt/linux-arm64/piccolo_pbkdf2.node");
  assert.ok(existsSync(addon), "not built: scripts/prebuild.sh (npm ci and npm pack run it through prepare)");
  const header = spawnSync("readelf", ["-h", "-d", addon], { encoding: "utf8" });
  assert.match(header.stdout, /Machine:\s+AArch64/);
  assert.match(header.stdout, /BIND_NOW|FLAGS_1\)\s+Flags: NOW/);
  const symbols = spawnSync("readelf", ["--dyn-syms", "-W", addon], { encoding: "utf8" }).stdout.split("\n").filter((line) => / UND /.test(line));
  const names = symbols.map((line) => line.trim().split(/\s+/)[7]).filter((name): name is string => !!name);
  assert.deepEqual(names.filter((name) => !/^napi_|@GLIBC_2\.17\b|^__cxa_finalize|^__gmon_start__$|^_ITM_/.test(name)), [], "symbols beyond N-API and glibc 2.17");
  assert.ok(names.some((name) => name.startsWith("getauxval")), "it detects the SHA-2 instructions at run time");
});
