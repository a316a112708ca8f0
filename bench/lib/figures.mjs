// The login figures of issue 4, each measured so that noise hits both sides of a ratio: the two
// things compared are interleaved (A B B A …), and each figure is a ratio of medians.
import { pbkdf2, randomInt } from "node:crypto";
import { stat } from "node:fs/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { promisify } from "node:util";
import { max, median, percentile, timeAsync, timeSync } from "./stats.mjs";

const pbkdf2Async = promisify(pbkdf2);
export const HASH = { iterations: 600_000, keyLength: 32, digest: "sha256" };
// The salt as the stored format has it: 32 hex characters whose text is the PBKDF2 salt.
const RAW_SALT = "0123456789abcdef0123456789abcdef";

/** One raw PBKDF2 with the parameters of a login (what the hash alone costs). */
export function rawHash(password) {
  return pbkdf2Async(Buffer.from(password, "utf8"), RAW_SALT, HASH.iterations, HASH.keyLength, HASH.digest);
}

/**
 * The median of the per-round ratios a[i] / b[i]: the two halves of a round ran back to back, so a
 * slowdown of the machine that lasts longer than a round cancels out (shown beside the ratio of medians).
 */
export function pairedRatio(as, bs) {
  return median(as.map((a, i) => a / bs[i]));
}

/**
 * Runs `a` and `b` `rounds` times each, in pairs whose order is drawn at random (a fixed A B B A
 * pattern can lock onto periodic load from another process); returns both sample lists (ms).
 */
async function interleave(rounds, a, b) {
  const as = [];
  const bs = [];
  for (let i = 0; i < rounds; i++) {
    if (randomInt(2) === 0) {
      as.push((await timeAsync(a)).ms);
      bs.push((await timeAsync(b)).ms);
    } else {
      bs.push((await timeAsync(b)).ms);
      as.push((await timeAsync(a)).ms);
    }
  }
  return [as, bs];
}

function expectId(id, what) {
  if (typeof id !== "number") throw new Error(`${what}: expected a user id, got ${id}`);
  return id;
}

function expectNull(id, what) {
  if (id !== null) throw new Error(`${what}: expected null, got ${id}`);
}

/** Figure 1: login (right password) against one raw PBKDF2 with the same parameters. */
export async function loginOverhead(User, creds, rounds) {
  await User.login(creds.username, creds.password);
  await rawHash(creds.password);
  const [login, raw] = await interleave(
    rounds,
    async () => expectId(await User.login(creds.username, creds.password), "login"),
    () => rawHash(creds.password),
  );
  return {
    value: median(login) / median(raw),
    paired: pairedRatio(login, raw),
    // How steady the machine was: the median raw hash against the fastest tenth of them.
    rawFastMs: percentile(raw, 10),
    loginMs: median(login),
    rawMs: median(raw),
    samples: rounds,
  };
}

/** Figure 2: unknown username against a known one (wrong password, and right password), interleaved. */
export async function unknownUserParity(User, creds, rounds) {
  const unknown = [];
  const knownWrong = [];
  const knownRight = [];
  const steps = [
    async () => unknown.push((await timeAsync(async () => expectNull(await User.login("nobody_here", creds.password), "unknown"))).ms),
    async () => knownWrong.push((await timeAsync(async () => expectNull(await User.login(creds.username, `${creds.password}x`), "wrong"))).ms),
    async () => knownRight.push((await timeAsync(async () => expectId(await User.login(creds.username, creds.password), "right"))).ms),
  ];
  for (const step of steps) await step(); // warm-up, discarded below
  unknown.length = knownWrong.length = knownRight.length = 0;
  for (let i = 0; i < rounds; i++) {
    // A random order each round, so no kind always runs first (or right after a write).
    const first = randomInt(3);
    const step = randomInt(1, 3);
    for (let j = 0; j < 3; j++) await steps[(first + j * step) % 3]();
  }
  return {
    value: median(unknown) / median(knownWrong),
    paired: pairedRatio(unknown, knownWrong),
    pairedVsRight: pairedRatio(unknown, knownRight),
    vsRight: median(unknown) / median(knownRight),
    unknownMs: median(unknown),
    knownWrongMs: median(knownWrong),
    knownRightMs: median(knownRight),
    samples: rounds,
  };
}

/** Keeps `k` calls of `fn` in flight until `n` have been started; returns the wall time (ms). */
export async function inFlight(k, n, fn) {
  let started = 0;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: k }, async () => {
      while (started < n) {
        started++;
        await fn();
      }
    }),
  );
  return performance.now() - begin;
}

/**
 * While `work` runs, stats a file again and again (10 ms apart): `fs` calls share libuv's thread
 * pool with PBKDF2, so their latency shows whether logins starve the rest of the application.
 */
export async function withPoolProbe(work) {
  const latencies = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const start = performance.now();
      await stat(new URL(import.meta.url));
      latencies.push(performance.now() - start);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    return { result: await work(), latencies };
  } finally {
    stopped = true;
    await loop;
  }
}

/**
 * Measures how late a 5 ms timer fires (a chain of setTimeout) and, as a cross-check, Node's own
 * event-loop delay histogram, while `work` runs.
 */
export async function withStallProbe(work, intervalMs = 5) {
  const delays = [];
  let stopped = false;
  let expected = performance.now() + intervalMs;
  let handle;
  const tick = () => {
    const now = performance.now();
    delays.push(Math.max(0, now - expected));
    if (stopped) return;
    expected = now + intervalMs;
    handle = setTimeout(tick, intervalMs);
  };
  handle = setTimeout(tick, intervalMs);
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  try {
    const result = await work();
    return { result, delays, histogram };
  } finally {
    stopped = true;
    clearTimeout(handle);
    histogram.disable();
  }
}

export function stallSummary(probe) {
  return {
    p99: percentile(probe.delays, 99),
    max: max(probe.delays),
    ticks: probe.delays.length,
    histogramP99: probe.histogram.percentile(99) / 1e6,
    histogramMax: probe.histogram.max / 1e6,
  };
}

/** The one-core raw hash rate (hashes/s), from sequential raw hashes (appended to `samples`). */
export async function oneCoreRate(password, count, samples = []) {
  await rawHash(password);
  for (let i = 0; i < count; i++) samples.push((await timeAsync(() => rawHash(password))).ms);
  return { rate: 1000 / median(samples), medianMs: median(samples), samples };
}

/**
 * Figure 3 and 4: logins per second with k in flight; the stall probe runs through every level and
 * is reported for the 16-in-flight one.
 */
export async function concurrency(User, creds, levels, countFor, { withRaw = false, referenceEach = 0, reference = [] } = {}) {
  const login = async () => expectId(await User.login(creds.username, creds.password), "login");
  const rows = [];
  for (const k of levels) {
    const n = countFor(k);
    // One-core reference samples spread between the levels, so the reference rate covers the same
    // stretch of time as the levels it divides (the host's speed drifts over seconds).
    for (let i = 0; i < referenceEach; i++) reference.push((await timeAsync(() => rawHash(creds.password))).ms);
    const { result: probe, latencies } = await withPoolProbe(() => withStallProbe(() => inFlight(k, n, login)));
    // Raw hashes with the same k in flight, right after: what the platform gave in the same minute.
    const rawMs = withRaw ? await inFlight(k, n, () => rawHash(creds.password)) : undefined;
    rows.push({
      rawRate: rawMs === undefined ? undefined : (n * 1000) / rawMs,
      inFlight: k,
      logins: n,
      ms: probe.result,
      rate: (n * 1000) / probe.result,
      stall: stallSummary(probe),
      fsStat: { median: median(latencies), max: max(latencies), count: latencies.length },
    });
  }
  return rows;
}

/** Same as `concurrency` for raw hashes: the platform's own ceiling, for reference. */
export async function rawConcurrency(password, k, n) {
  const ms = await inFlight(k, n, () => rawHash(password));
  return { inFlight: k, hashes: n, ms, rate: (n * 1000) / ms };
}

/**
 * Login ÷ its own hash under load (row 1t): `n` logins kept `k` in flight against `n` `verifyPassword`s of
 * the same stored hash, `k` in flight, through the same pool, in rounds of random order. The logins'
 * last_login writes run among them, as on a busy server, and the round ends once they are written. What a
 * login adds to its hash in CPU and round trips shows here without the wake-up of an idle database that a
 * lone login meets (row 1o).
 */
export async function loginOwnHashUnderLoad(pkg, User, creds, storedHash, rounds, k = 16, n = 48) {
  const login = async () => expectId(await User.login(creds.username, creds.password), "login");
  const verify = async () => {
    if (!(await pkg.verifyPassword(creds.password, storedHash, User.iterations))) throw new Error("verifyPassword: expected true");
  };
  const logins = [];
  const hashes = [];
  const steps = [
    async () => logins.push((await timeAsync(async () => (await inFlight(k, n, login), await User.settleLogins()))).ms),
    async () => hashes.push((await timeAsync(() => inFlight(k, n, verify))).ms),
  ];
  for (let i = 0; i < rounds; i++) {
    const first = randomInt(2);
    await steps[first]();
    await steps[1 - first]();
  }
  return { value: median(logins) / median(hashes), paired: pairedRatio(logins, hashes), loginRate: (n * 1000) / median(logins), hashRate: (n * 1000) / median(hashes), inFlight: k, samples: rounds };
}

/**
 * Figure 5: loginSync against login, interleaved (the worker is started by a warm-up call). Both answer
 * before their last_login write; each sample's write is awaited after it, outside the timing, so it never
 * lands in the next sample (on SQLite the worker's write, on its own connection, would hold up the next
 * sample's SELECT).
 */
export async function syncCost(User, creds, rounds) {
  expectId(User.loginSync(creds.username, creds.password), "loginSync");
  await User.login(creds.username, creds.password);
  await User.settleLogins();
  const sync = [];
  const async_ = [];
  for (let i = 0; i < rounds; i++) {
    const s = async () => {
      sync.push(timeSync(() => expectId(User.loginSync(creds.username, creds.password), "loginSync")).ms);
      await User.settleLogins();
    };
    const a = async () => {
      async_.push((await timeAsync(async () => expectId(await User.login(creds.username, creds.password), "login"))).ms);
      await User.settleLogins();
    };
    if (randomInt(2) === 0) {
      await s();
      await a();
    } else {
      await a();
      await s();
    }
  }
  return { value: median(sync) / median(async_), paired: pairedRatio(sync, async_), syncMs: median(sync), asyncMs: median(async_), samples: rounds };
}

/** Figure 7: login against a 100 000-user table vs the small table, interleaved. */
export async function bigTableLogin(SmallUser, smallCreds, BigUser, bigCreds, rounds) {
  await BigUser.login(bigCreds.username, bigCreds.password);
  await SmallUser.login(smallCreds.username, smallCreds.password);
  const [big, small] = await interleave(
    rounds,
    async () => expectId(await BigUser.login(bigCreds.username, bigCreds.password), "big login"),
    async () => expectId(await SmallUser.login(smallCreds.username, smallCreds.password), "small login"),
  );
  return { value: median(big) / median(small), paired: pairedRatio(big, small), bigMs: median(big), smallMs: median(small), samples: rounds };
}

/** Figure 7: `listUsers` page timings (ms, median). */
export async function listPages(User, pages, runs) {
  const out = {};
  for (const page of pages) {
    const first = await User.listUsers({ page, limit: 20 });
    if (first.length !== 20) throw new Error(`listUsers page ${page}: ${first.length} rows`);
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push((await timeAsync(() => User.listUsers({ page, limit: 20 }))).ms);
    out[page] = { medianMs: median(samples), maxMs: max(samples) };
  }
  return out;
}

/**
 * Everything a login does besides the hash, in ms: logins of a user whose stored hash has 1 iteration,
 * through a class whose `iterations` is 1 (so nothing is re-hashed). Hundreds of samples in a second,
 * and nearly free of CPU noise: the figure-1 overhead to expect is 1 + this ÷ the raw hash time.
 */
export async function nonHashWork(FastUser, creds, samples, pkg) {
  // The 1-iteration hash alone, through the same pool: what `right` costs besides the login's own work.
  const db = await FastUser.getDatabase();
  const { password: fastHash } = await db.kysely.selectFrom(FastUser.tableName).select("password").where("username", "=", creds.username).executeTakeFirstOrThrow();
  const kinds = {
    hash: async () => {
      if (!(await pkg.verifyPassword(creds.password, fastHash, 1))) throw new Error("verifyPassword: expected true");
    },
    right: async () => expectId(await FastUser.login(creds.username, creds.password), "fast login"),
    wrong: async () => expectNull(await FastUser.login(creds.username, `${creds.password}x`), "fast wrong"),
    unknown: async () => expectNull(await FastUser.login("nobody_here", creds.password), "fast unknown"),
  };
  const out = {};
  for (const [kind, fn] of Object.entries(kinds)) {
    for (let i = 0; i < 20; i++) await fn();
    await FastUser.settleLogins();
    const xs = [];
    const writes = [];
    for (let i = 0; i < samples; i++) {
      xs.push((await timeAsync(fn)).ms);
      // A success's last_login is written just after its answer: timed apart, so each sample starts with none pending.
      writes.push((await timeAsync(() => FastUser.settleLogins())).ms);
    }
    out[kind] = median(xs);
    out[`${kind}Write`] = median(writes);
  }
  return out;
}

/**
 * Login ÷ its own hash (issue 24): a login with the right password against the hash it does itself —
 * `verifyPassword` of the same stored hash, through the same hash pool — interleaved in random order.
 * The login's last_login write, which follows its answer, is awaited after each login sample, outside
 * the timing, so it never lands in the next sample.
 */
export async function loginOwnHash(pkg, User, creds, storedHash, rounds) {
  const verify = async () => {
    if (!(await pkg.verifyPassword(creds.password, storedHash, User.iterations))) throw new Error("verifyPassword: expected true");
  };
  const login = [];
  const hash = [];
  const steps = [
    async () => {
      login.push((await timeAsync(async () => expectId(await User.login(creds.username, creds.password), "login"))).ms);
      await User.settleLogins();
    },
    async () => hash.push((await timeAsync(verify)).ms),
  ];
  for (const step of steps) await step();
  login.length = hash.length = 0;
  for (let i = 0; i < rounds; i++) {
    const first = randomInt(2);
    await steps[first]();
    await steps[1 - first]();
  }
  return { value: median(login) / median(hash), paired: pairedRatio(login, hash), loginMs: median(login), hashMs: median(hash), samples: rounds };
}
