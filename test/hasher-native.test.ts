// The native PBKDF2 addon gives exactly crypto.pbkdf2's bytes, and without it (PICCOLO_NATIVE_HASH=0)
// the fallback gives the same stored hashes.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { pbkdf2Sync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import fc from "fast-check";
import { configureHashing, hashPassword, hashPasswordSync, hasherInfo, verifyPassword } from "piccolo-ts";
import type * as NativeModule from "../dist/password/hash-native.js";
import { piccolo } from "./support/cli.js";

const native = (await import(new URL("../../dist/password/hash-native.js", import.meta.url).href)) as typeof NativeModule;

// shared/PICCOLO.md's vectors, computed by Python's hashlib as Piccolo does.
const VECTORS = [
  ["abc123", 600000, "0123456789abcdef0123456789abcdef", "pbkdf2_sha256$600000$0123456789abcdef0123456789abcdef$3ed0c190ed531edb43ff0f87843d258b1a91129c5e9c82592861bb1339282788"],
  ["Bob123$$$", 600000, "7f3a9c2e5b8d1f4a6c0e9b2d5a8f1c3e", "pbkdf2_sha256$600000$7f3a9c2e5b8d1f4a6c0e9b2d5a8f1c3e$30a873e6b67e77b8ad5001885a5915f5dcd2949e29757ea853690bcb7c5f9a42"],
  ["pässwörd✓", 10000, "00000000000000000000000000000000", "pbkdf2_sha256$10000$00000000000000000000000000000000$d5c73915bd99f2368be60c245ba4e0497fb82c6a6f9816498fa0938ac1dfb74f"],
] as const;

after(() => {
  configureHashing();
});

test("the addon is built and in use (the install step builds it; `piccolo doctor` reports it)", () => {
  const loaded = native.loadNativePbkdf2();
  assert.equal(loaded.reason, undefined, `the addon is not usable: ${loaded.reason}`);
  assert.equal(hasherInfo().implementation, "native");
});

const addon = createRequire(import.meta.url)(native.ADDON_PATH) as NativeModule.NativeAddon;

test("on a CPU with the SHA extensions the addon runs its SHA-NI loop", () => {
  const hasShaNi = process.arch === "x64" && /\bsha_ni\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
  assert.equal(addon.kernel, hasShaNi ? "sha-ni" : "portable");
});

test("the addon declares itself self-contained, and links nothing from its host but N-API (so Bun and Deno can load it)", () => {
  assert.equal(addon.selfContained, true);
  if (process.platform !== "linux") return; // the ELF checks below (nm and readelf come with the compiler's binutils)
  const symbols = spawnSync("nm", ["-D", "--undefined-only", native.ADDON_PATH], { encoding: "utf8" });
  assert.equal(symbols.status, 0, symbols.stderr);
  const undefinedNames = symbols.stdout.split("\n").map((line) => line.trim().split(/\s+/).pop() ?? "").filter(Boolean);
  const foreign = undefinedNames.filter((name) => !/^napi_|@GLIBC_|^_ITM_|^__gmon_start__$|^__cxa_finalize/.test(name));
  assert.deepEqual(foreign, [], "symbols the addon expects its host to provide");
  const dynamic = spawnSync("readelf", ["-d", native.ADDON_PATH], { encoding: "utf8" });
  assert.match(dynamic.stdout, /BIND_NOW|FLAGS_1\)\s+Flags: NOW/, "linked with -z now: an unresolved symbol fails the load, not the first call");
});

test("the loader's known answers are crypto.pbkdf2's", () => {
  for (const [password, salt, iterations, keyHex] of native.KNOWN_ANSWERS) {
    assert.equal(pbkdf2Sync(password, salt, iterations, keyHex.length / 2, "sha256").toString("hex"), keyHex);
  }
});

// The addon itself, not through the loader (whose self-check would hide it on a few cases); both of its
// iteration loops, since a CPU without SHA-NI runs the other one.
for (const [loop, pbkdf2] of [
  ["the chosen loop", addon.pbkdf2Sha256],
  ["the portable SHA-256 loop", addon.pbkdf2Sha256Transform],
] as const) {
  test(`${loop}: the addon's key equals crypto.pbkdf2Sync's on 10 000 random cases (any bytes, keys over 64 bytes, several blocks)`, () => {
    let longKeys = 0;
    fc.assert(
      fc.property(
        // Lengths up to 300 bytes: HMAC hashes keys longer than its 64-byte block first.
        fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 65, maxLength: 300 })),
        fc.uint8Array({ maxLength: 100 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 100 }),
        (password, salt, iterations, keyLength) => {
          if (password.length > 64) longKeys++;
          const expected = pbkdf2Sync(password, salt, iterations, keyLength, "sha256");
          assert.deepEqual(pbkdf2(password, salt, iterations, keyLength), expected);
        },
      ),
      { numRuns: 10_000 },
    );
    assert.ok(longKeys > 1000, `only ${longKeys} keys over 64 bytes`);
  });
}

test("two keys at once (the two-lane loop where the CPU has one): each equals crypto.pbkdf2Sync's on 5 000 random pairs of different lengths and iteration counts", () => {
  assert.equal(addon.lanes, addon.kernel === "portable" ? 1 : 2);
  const input = fc.record({
    password: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 65, maxLength: 300 })),
    salt: fc.uint8Array({ maxLength: 100 }),
    iterations: fc.integer({ min: 1, max: 60 }),
    keyLength: fc.integer({ min: 1, max: 100 }),
  });
  let unequal = 0;
  fc.assert(
    fc.property(input, input, (a, b) => {
      if (a.iterations !== b.iterations) unequal++;
      const [keyA, keyB] = addon.pbkdf2Sha256Pair!(a.password, a.salt, a.iterations, a.keyLength, b.password, b.salt, b.iterations, b.keyLength);
      assert.deepEqual(keyA, pbkdf2Sync(a.password, a.salt, a.iterations, a.keyLength, "sha256"));
      assert.deepEqual(keyB, pbkdf2Sync(b.password, b.salt, b.iterations, b.keyLength, "sha256"));
    }),
    { numRuns: 5_000 },
  );
  assert.ok(unequal > 4000, "pairs whose longer hash finishes alone");
  // Piccolo's cost, paired with a shorter one: the longer goes on alone for 590 000 iterations.
  const [long, short] = addon.pbkdf2Sha256Pair!(Buffer.from(VECTORS[0][0]), Buffer.from(VECTORS[0][2]), 600_000, 32, Buffer.from(VECTORS[2][0]), Buffer.from(VECTORS[2][2]), 10_000, 32);
  assert.equal(long.toString("hex"), VECTORS[0][3].split("$")[3]);
  assert.equal(short.toString("hex"), VECTORS[2][3].split("$")[3]);
});

test("the prebuilt addon shipped for this platform (linux-x64, linux-arm64) loads and gives crypto.pbkdf2Sync's keys, alone and in pairs", { skip: !["linux-x64", "linux-arm64"].includes(`${process.platform}-${process.arch}`) && "no prebuilt for this platform" }, () => {
  assert.ok(existsSync(native.PREBUILT_PATH), "not built: scripts/prebuild.sh (npm ci and npm pack run it through prepare)");
  const prebuilt = createRequire(import.meta.url)(native.PREBUILT_PATH) as NativeModule.NativeAddon;
  assert.deepEqual([prebuilt.selfContained, prebuilt.kernel, prebuilt.lanes], [true, addon.kernel, addon.lanes]);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 70 }), (password, salt, iterations, keyLength) => {
      const expected = pbkdf2Sync(password, salt, iterations, keyLength, "sha256");
      assert.deepEqual(prebuilt.pbkdf2Sha256(password, salt, iterations, keyLength), expected);
      assert.deepEqual(prebuilt.pbkdf2Sha256Pair!(password, salt, iterations, keyLength, salt, password, iterations + 3, keyLength)[0], expected);
    }),
    { numRuns: 1_000 },
  );
});

test("stored hashes through the pool match crypto.pbkdf2 on random UTF-8 passwords and salts", async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 90 }), fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 50 }), async (password, salt, iterations) => {
      fc.pre(!salt.includes("$") && !/\s/.test(salt));
      const expected = pbkdf2Sync(Buffer.from(password, "utf8"), Buffer.from(salt, "utf8"), iterations, 32, "sha256").toString("hex");
      const stored = await hashPassword(password, iterations, salt);
      assert.equal(stored, `pbkdf2_sha256$${iterations}$${salt}$${expected}`);
      assert.equal(hashPasswordSync(password, iterations, salt), stored);
    }),
    { numRuns: 300 },
  );
});

test("Piccolo's vectors: the addon, the …Sync path and the crypto.pbkdf2 fallback give the same hashes", async () => {
  for (const [password, iterations, salt, expected] of VECTORS) {
    assert.equal(await hashPassword(password, iterations, salt), expected, "native, pool");
    assert.equal(hashPasswordSync(password, iterations, salt), expected, "native, sync");
    assert.ok(await verifyPassword(password, expected));
    assert.equal(await verifyPassword(`${password}!`, expected), false);
  }
  assert.equal(configureHashing({ native: false }).implementation, "node-crypto");
  for (const [password, iterations, salt, expected] of VECTORS) {
    assert.equal(await hashPassword(password, iterations, salt), expected, "fallback, pool");
    assert.equal(hashPasswordSync(password, iterations, salt), expected, "fallback, sync");
  }
  configureHashing();
});

test("PICCOLO_NATIVE_HASH=0 (as if the addon were absent): the fallback is used and gives the same bytes", () => {
  const script = `
    const { hashPassword, hasherInfo } = await import(${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)});
    const vectors = ${JSON.stringify(VECTORS)};
    const hashes = [];
    for (const [password, iterations, salt] of vectors) hashes.push(await hashPassword(password, iterations, salt));
    console.log(JSON.stringify({ info: hasherInfo(), hashes }));`;
  for (const disabled of [true, false]) {
    const env = { ...process.env };
    if (disabled) env.PICCOLO_NATIVE_HASH = "0";
    else delete env.PICCOLO_NATIVE_HASH;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8", timeout: 60_000 });
    assert.equal(child.status, 0, child.stderr);
    const { info, hashes } = JSON.parse(child.stdout) as { info: { implementation: string; reason?: string }; hashes: string[] };
    assert.equal(info.implementation, disabled ? "node-crypto" : "native");
    if (disabled) assert.match(info.reason ?? "", /PICCOLO_NATIVE_HASH=0/);
    assert.deepEqual(hashes, VECTORS.map((v) => v[3]));
  }
});

test("`piccolo doctor` says which PBKDF2 is in use, in text and --json", async () => {
  const text = await piccolo(["doctor"]);
  assert.equal(text.code, 0, text.all);
  assert.match(text.stdout, addon.kernel === "sha-ni" ? /native PBKDF2 addon, on the CPU's SHA extensions/ : /native PBKDF2 addon, on its portable SHA-256/);
  assert.match(text.stdout, addon.lanes === 2 ? /^Hash lanes: 2 \(PICCOLO_HASH_LANES\): a hash thread runs two waiting hashes in one loop\.$/m : /^Hash lanes: 1 /m);
  assert.match(text.stdout, /^Addon binary: (built on this machine at install|prebuilt for linux-(x64|arm64), shipped in the package)\.$/m);
  const oneLane = await piccolo(["doctor", "--json"], { env: { PICCOLO_HASH_LANES: "1" } });
  assert.equal((JSON.parse(oneLane.stdout) as { hasher: { lanes: number } }).hasher.lanes, 1);
  assert.match(text.stdout, /^Runtime: Node\.js \d+\.\d+\.\d+; SQLite through better-sqlite3\.$/m);
  assert.match(text.stdout, /Hash threads: \d+/);
  assert.match(text.stdout, process.platform === "linux" ? /Hash threads run at nice \+10 \(PICCOLO_HASH_NICE\)/ : /at the process's priority/);
  const json = await piccolo(["doctor", "--json"], { env: { PICCOLO_NATIVE_HASH: "0", PICCOLO_HASH_THREADS: "3", PICCOLO_HASH_NICE: "5" } });
  assert.equal(json.code, 0, json.all);
  const { hasher } = JSON.parse(json.stdout) as { hasher: { implementation: string; runtime: string; reason: string; threads: number; queueDepth: number; nice: number } };
  assert.deepEqual([hasher.implementation, hasher.threads, hasher.queueDepth, hasher.nice], ["node-crypto", 3, 256, process.platform === "linux" ? 5 : 0]);
  assert.equal(hasher.runtime, `Node.js ${process.versions.node}`);
  assert.match(hasher.reason, /PICCOLO_NATIVE_HASH=0/);
});
