// Two lanes in the hash loop: a hash thread given two waiting hashes runs both in one loop (the addon's
// pbkdf2Sha256Pair), a lone hash starts at once and never waits for a partner, and the keys are
// crypto.pbkdf2's whatever the pairing. The speed this buys is measured by `npm run bench` (row "lanes").
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { pbkdf2Sync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PiccoloError, configureHashing, hashPassword, hasherInfo } from "piccolo-ts";
import type * as LanesModule from "../dist/password/hash-lanes.js";
import type * as NativeModule from "../dist/password/hash-native.js";
import { baseEnv, root } from "./support/cli.js";
import { runtimeCommand, runtimeEnv, type RuntimeName } from "./support/runtimes.js";

const lanesModule = (await import(new URL("../../dist/password/hash-lanes.js", import.meta.url).href)) as typeof LanesModule;
const native = (await import(new URL("../../dist/password/hash-native.js", import.meta.url).href)) as typeof NativeModule;
const addonLanes = native.loadNativePbkdf2().lanes ?? 1;

after(() => {
  configureHashing();
});

const expected = (password: string, iterations: number, salt: string) =>
  `pbkdf2_sha256$${iterations}$${salt}$${pbkdf2Sync(password, salt, iterations, 32, "sha256").toString("hex")}`;

/** Waits until the pool holds `count` hashes (running or queued): hashPassword reaches the pool after a few steps. */
async function pooled(count: number): Promise<{ running: number; queued: number }> {
  for (;;) {
    const { running, queued } = hasherInfo();
    if (running + queued >= count) return { running, queued };
    await new Promise((resolve) => setImmediate(resolve));
  }
}

for (const asked of [1, 2]) {
  // Where the addon's loop runs one chain (no SHA-NI or ARMv8 SHA-2), two lanes asked for are one in use.
  const lanes = Math.min(asked, addonLanes);
  test(`lanes ${asked} asked (${lanes} in use here), one thread, three logins at once: the first starts alone at once, then ${lanes === 2 ? "the other two run together" : "one at a time"}; every key is crypto.pbkdf2's`, async () => {
    assert.equal(configureHashing({ threads: 1, lanes: asked, nice: 0 }).lanes, lanes);
    // Different iteration counts: in a pair the shorter finishes first and the longer goes on alone.
    const jobs = [["first", 300_000, "salt-1"], ["second", 200_000, "salt-2"], ["third", 100_000, "salt-3"]] as const;
    const [first, ...rest] = jobs.map(([password, iterations, salt]) => hashPassword(password, iterations, salt));
    assert.deepEqual(await pooled(3), { running: 1, queued: 2 }, "the lone first hash did not wait for a partner");
    assert.equal(await first, expected(...jobs[0]));
    // The first hash's thread took the next work before its promise settled.
    assert.deepEqual(
      (({ running, queued }) => ({ running, queued }))(hasherInfo()),
      lanes === 2 ? { running: 2, queued: 0 } : { running: 1, queued: 1 },
    );
    assert.deepEqual(await Promise.all(rest), [expected(...jobs[1]), expected(...jobs[2])]);
    assert.equal(hasherInfo().completed, 3);
  });
}

test("a pair is made only from hashes no free thread would start now, and only of plain PBKDF2 jobs", () => {
  const job = (n: number) => ({ password: new Uint8Array([n]), salt: new Uint8Array(), iterations: 1, keyLength: 32 });
  const queue = [job(2), job(3)];
  assert.equal(lanesModule.takePartner(queue, job(1), 1, 0), undefined, "one lane: never");
  assert.equal(lanesModule.takePartner(queue, job(1), 2, 2), undefined, "two free threads take the two waiting");
  const second = queue[0];
  assert.equal(lanesModule.takePartner(queue, job(1), 2, 1), second, "one free thread, two waiting: one pairs, one starts on the free thread");
  assert.equal(queue.length, 1);
  const other = [{ ...job(4), format: "another" }];
  assert.equal(lanesModule.takePartner(other, job(1), 2, 0), undefined, "a job of another kind runs alone");
  assert.equal(other.length, 1);
});

test("configureHashing({ lanes }) and PICCOLO_HASH_LANES choose the lanes; bad values are refused; crypto.pbkdf2 runs one", () => {
  assert.equal(configureHashing().lanes, addonLanes, "the default: what the addon's loop runs");
  assert.equal(configureHashing({ lanes: 1 }).lanes, 1);
  assert.equal(configureHashing({ native: false, lanes: 2 }).lanes, 1);
  for (const lanes of [0, 3, 1.5]) {
    assert.throws(() => configureHashing({ lanes }), (e: unknown) => e instanceof PiccoloError && e.code === "CONFIG" && /lanes must be a whole number from 1 to 2/.test(e.message));
  }
  const script = `
    const { hasherInfo } = await import(${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)});
    console.log(JSON.stringify(hasherInfo()));`;
  for (const [value, lanes] of [["1", 1], ["2", addonLanes]] as const) {
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000, env: { ...process.env, PICCOLO_HASH_LANES: value } });
    assert.equal(child.status, 0, child.stderr);
    assert.equal((JSON.parse(child.stdout) as { lanes: number }).lanes, lanes);
  }
  const bad = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000, env: { ...process.env, PICCOLO_HASH_LANES: "4" } });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /lanes \(PICCOLO_HASH_LANES\) must be a whole number from 1 to 2: got 4\./);
});

/** Six hashes on one thread with two lanes (so in pairs), checked against crypto.pbkdf2 by the runtime itself. */
const RUNTIME_SCRIPT = `
import { configureHashing, hashPassword, hasherInfo } from "piccolo-ts";
import { pbkdf2Sync } from "node:crypto";
configureHashing({ threads: 1, lanes: 2 });
const jobs = Array.from({ length: 6 }, (_, i) => ["pässwörd" + i, 2000 + i * 500, "salt" + i]);
const stored = await Promise.all(jobs.map(([password, iterations, salt]) => hashPassword(password, iterations, salt)));
const same = stored.every((hash, i) => hash === \`pbkdf2_sha256$\${jobs[i][1]}$\${jobs[i][2]}$\${pbkdf2Sync(jobs[i][0], jobs[i][2], jobs[i][1], 32, "sha256").toString("hex")}\`);
const { implementation, lanes, completed } = hasherInfo();
console.log(JSON.stringify({ same, implementation, lanes, completed }));
process.exit(0);
`;

for (const name of ["node", "bun", "deno"] as RuntimeName[]) {
  test(`${name}: pairs of hashes through the runtime's worker threads give crypto.pbkdf2's hashes`, () => {
    const runtime = runtimeCommand(name);
    if (runtime instanceof Error) throw runtime;
    // Inside the checkout, so that "piccolo-ts" resolves to it (a self-reference) on every runtime.
    const dir = path.join(root, ".test-tmp", `lanes-${name}-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "pairs.mjs"), RUNTIME_SCRIPT);
    const child = spawnSync(runtime.command, [...runtime.args, path.join(dir, "pairs.mjs")], { cwd: root, env: runtimeEnv(baseEnv()), encoding: "utf8", timeout: 120_000 });
    assert.equal(child.status, 0, `exit ${child.status}\n${child.stdout}\n${child.stderr}`);
    const report = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as { same: boolean; implementation: string; lanes: number; completed: number };
    assert.deepEqual(report, { same: true, implementation: "native", lanes: addonLanes, completed: 6 });
  });
}
