// The hash pool: a bounded queue that refuses at once, threads of its own that leave libuv's pool to
// the file system, and idle threads that never keep a script alive.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { stat } from "node:fs/promises";
import { BusyError, ConfigError, PiccoloError, configureHashing, hashPassword, hasherInfo } from "piccolo-ts";

const SALT = "0123456789abcdef0123456789abcdef";

after(() => {
  configureHashing();
});

test("past the queue depth a hash is refused at once with BusyError; the accepted ones complete", async () => {
  configureHashing({ threads: 1, maxQueue: 3 });
  const events: string[] = [];
  const attempts = Array.from({ length: 20 }, (_, i) =>
    hashPassword(`password-${i}`, 100_000, SALT).then(
      (hash) => {
        events.push(`done ${i}`);
        return hash;
      },
      (error: unknown) => {
        events.push(`refused ${i}`);
        throw error;
      },
    ),
  );
  const results = await Promise.allSettled(attempts);
  const accepted = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
  // One running and three waiting: the first four in the order they were asked.
  assert.deepEqual(accepted, [0, 1, 2, 3]);
  for (const result of results.slice(4)) {
    assert.equal(result.status, "rejected");
    const error = (result as PromiseRejectedResult).reason as BusyError;
    assert.ok(error instanceof BusyError && error instanceof PiccoloError, String(error));
    assert.equal(error.code, "BUSY");
    assert.ok(Number.isInteger(error.retryAfterSeconds) && error.retryAfterSeconds >= 1);
  }
  // Refused without waiting for a hash: every refusal came before the first completion ...
  const firstDone = events.findIndex((e) => e.startsWith("done"));
  assert.ok(events.slice(0, firstDone).length === 16 && events.slice(firstDone).every((e) => e.startsWith("done")), events.join(", "));
  // ... and without hashing: the pool computed exactly the accepted ones.
  assert.equal(hasherInfo().completed, 4);
  for (const [i, r] of results.slice(0, 4).entries()) {
    assert.match((r as PromiseFulfilledResult<string>).value, new RegExp(`^pbkdf2_sha256\\$100000\\$${SALT}\\$[0-9a-f]{64}$`), `hash ${i}`);
  }
  // The queue drained: the next hash is accepted again.
  assert.match(await hashPassword("after", 1, SALT), /^pbkdf2_sha256\$1\$/);
});

test("while hashes run on the pool, fs.promises.stat calls finish before any of the hashes does", async () => {
  configureHashing();
  const events: string[] = [];
  // More hashes than libuv has threads (4): on libuv's pool they would hold every one of them.
  const hashes = Array.from({ length: 8 }, (_, i) =>
    hashPassword(`password-${i}`, 600_000, SALT).then(() => {
      events.push("hash");
    }),
  );
  const stats = Array.from({ length: 8 }, async () => {
    for (let i = 0; i < 3; i++) await stat(new URL(import.meta.url));
    events.push("stat");
  });
  await Promise.all([...hashes, ...stats]);
  assert.equal(events.length, 16);
  assert.deepEqual(events.slice(0, 8), Array(8).fill("stat"), `order of completion: ${events.join(", ")}`);
});

test("a script that hashed and has nothing left to do exits (idle hash threads do not keep it alive)", () => {
  const script = `
    const { hashPassword, hasherInfo } = await import(${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)});
    await Promise.all([hashPassword("one-password", 1000), hashPassword("two-password", 1000)]);
    console.log(hasherInfo().completed);`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  assert.equal(child.signal, null, "the script did not exit on its own within 30 s");
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), "2");
});

test("configureHashing and PICCOLO_HASH_THREADS set the pool; bad values are refused", () => {
  const info = configureHashing({ threads: 3, maxQueue: 7 });
  assert.deepEqual([info.threads, info.queueDepth], [3, 7]);
  assert.throws(() => configureHashing({ threads: 0 }), (e: unknown) => e instanceof ConfigError && e.code === "CONFIG");
  assert.throws(() => configureHashing({ maxQueue: -1 }), (e: unknown) => e instanceof ConfigError && e.code === "CONFIG");
  const script = `
    const { hasherInfo } = await import(${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)});
    console.log(JSON.stringify(hasherInfo()));`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, PICCOLO_HASH_THREADS: "5", PICCOLO_HASH_QUEUE: "9" },
  });
  assert.equal(child.status, 0, child.stderr);
  const fromEnv = JSON.parse(child.stdout) as { threads: number; queueDepth: number };
  assert.deepEqual([fromEnv.threads, fromEnv.queueDepth], [5, 9]);
});

/** Niceness of each thread of this process, from /proc (field 19 of a task's stat, after the name). */
function threadNiceness(): { tid: number; nice: number }[] {
  return readdirSync("/proc/self/task").map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { tid: Number(tid), nice: Number(fields[16]) };
  });
}

/**
 * The niceness of every thread not at 0, once it is `expected`: a replaced pool's threads end
 * asynchronously (Worker.terminate), so this waits (up to 10 s) for them rather than reading once.
 */
async function loweredThreads(expected: readonly number[]): Promise<number[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lowered = threadNiceness()
      .filter((t) => t.nice !== 0)
      .map((t) => t.nice);
    if (JSON.stringify(lowered) === JSON.stringify(expected) || Date.now() > deadline) return lowered;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("hash threads run below the event loop (nice 10 by default, configurable); the rest of the process stays level", async () => {
  if (process.platform !== "linux") {
    // Elsewhere a thread's priority is the process's: the option is accepted and has no effect.
    assert.equal(configureHashing({ nice: 19 }).nice, 0);
    return;
  }
  configureHashing({ threads: 1, nice: 0 }); // ends the threads earlier tests started
  assert.deepEqual(await loweredThreads([]), [], "the test starts with every thread level");
  for (const [options, expected] of [
    [{ threads: 2 }, 10],
    [{ threads: 3, nice: 19 }, 19],
    [{ threads: 2, nice: 0 }, 0],
  ] as const) {
    assert.equal(configureHashing(options).nice, expected);
    // Every thread busy at once, so each has started and set its priority.
    await Promise.all(Array.from({ length: options.threads }, (_, i) => hashPassword(`password-${i}`, 200_000, SALT)));
    const want = expected === 0 ? [] : Array<number>(options.threads).fill(expected);
    assert.deepEqual(await loweredThreads(want), want, JSON.stringify(threadNiceness()));
    assert.equal(threadNiceness().find((t) => t.tid === process.pid)?.nice, 0, "the main thread keeps its priority");
  }
  assert.throws(() => configureHashing({ nice: 20 }), (e: unknown) => e instanceof PiccoloError && e.code === "CONFIG" && /nice must be a whole number from 0 to 19/.test(e.message));
});
