#!/usr/bin/env node
// piccolo-ts performance benchmark (issue 4): `npm run bench` (full, < 5 min) or
// `node bench/run.mjs --smoke` (≈10 s, few samples, same table; for CI).
//
// Options: --smoke, --engines=sqlite,postgres (mysql too, on request), --no-sweep (skip the UV_THREADPOOL_SIZE sweep),
// --only=hashing (issue 12's hashing figures only: addon and fallback ratios, throughput, stalls, flood),
// --only=login (issue 24's login figures only: the login's own work, parity, loginSync, HTTP load),
// --no-http (skip the HTTP load figures), --http-seconds=N (each HTTP measurement; default 5, 2 with --smoke),
// --no-lanes (skip the 2-lanes-against-1 figure, bench/lanes.mjs in a child; not run by --smoke alone),
// --quiet-wait=SECONDS (most time spent, in all, waiting for other processes to go quiet before a
// figure; default 20, 0 with --smoke),
// --strict (exit 1 when a figure misses its target), --out=FILE (default bench/results.json,
// bench/results-smoke.json with --smoke). BENCH_POSTGRES_ADMIN_URL and BENCH_MYSQL_ADMIN_URL override the servers.
//
// Each figure is a ratio of medians of interleaved samples, so that noise on a shared machine hits
// both sides of it; the SQLite (temp file) and PostgreSQL figures come from the same run.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, platform, release, totalmem } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as figures from "./lib/figures.mjs";
import { flood, overheadBothWays } from "./lib/hashing.mjs";
import { httpLoad } from "./lib/http-load.mjs";
import { peerThroughput } from "./lib/peer.mjs";
import { awaitQuiet, between, measured, snapshot } from "./lib/load.mjs";
import { plans } from "./lib/plans.mjs";
import { Databases, bulkInsertUsers, serverAvailable } from "./lib/setup.mjs";
import { runtimeFigures } from "./lib/runtimes.mjs";
import { round } from "./lib/stats.mjs";
import { startup } from "./lib/startup.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const smoke = flag("smoke");
const hashingOnly = option("only") === "hashing";
const loginOnly = option("only") === "login";
const httpSeconds = Number(option("http-seconds") ?? (smoke ? 2 : 5));
const engines = (option("engines") ?? "sqlite,postgres").split(",").filter(Boolean);
const outFile = path.resolve(option("out") ?? path.join(here, smoke ? "results-smoke.json" : "results.json"));

// Sample counts: a 600 000-iteration hash costs ~120 ms here, so these set the run time.
const PLAN = smoke
  ? {
      overheadRounds: 3,
      loadedRounds: 1,
      parityRounds: 1,
      levels: [1, 2, 4, 8, 16],
      perLevel: (k) => Math.max(2, k),
      syncRounds: 2,
      bigUsers: 5_000,
      listRuns: 5,
      bigLoginRounds: 2,
      startupRuns: 2,
      sweep: [],
      oneCore: 2,
      referenceEach: 0,
      fastSamples: 50,
    }
  : {
      overheadRounds: 40,
      loadedRounds: 6,
      parityRounds: 24,
      levels: [1, 2, 4, 8, 16],
      perLevel: (k) => (k === 1 ? 12 : Math.max(24, 3 * k)),
      syncRounds: 20,
      bigUsers: 100_000,
      listRuns: 30,
      bigLoginRounds: 20,
      startupRuns: 15,
      sweep: flag("no-sweep") ? [] : [1, 2, 8], // 4, the default, is the main figures
      oneCore: 4,
      referenceEach: 2,
      fastSamples: 300,
    };
// The counts above fit in ~4 minutes with a 600 000-iteration hash at ~130 ms. On a slower (or busier)
// host, scale the hash-bound counts down so the whole run stays under 5 minutes.
if (!smoke) {
  const { medianMs: hashMs } = await figures.oneCoreRate("calibration", 3);
  const scale = Math.min(1, Math.max(0.5, 150 / hashMs));
  if (scale < 1) {
    for (const key of ["overheadRounds", "loadedRounds", "parityRounds", "syncRounds", "bigLoginRounds"]) PLAN[key] = Math.round(PLAN[key] * scale);
    const perLevel = PLAN.perLevel;
    PLAN.perLevel = (k) => Math.max(k, Math.round(perLevel(k) * scale));
    console.error(`One hash takes ${hashMs.toFixed(0)} ms here: hash-bound sample counts scaled by ${scale.toFixed(2)} to keep the run under 5 minutes.`);
  }
}
const LIMIT = 20;
// Before each figure, wait for other processes to go quiet: at most this much in the whole run.
let quietBudgetMs = smoke ? 0 : Number(option("quiet-wait") ?? 20) * 1000;
const deepPage = PLAN.bigUsers / LIMIT; // 5000 with 100 000 users: the last page

const log = (...parts) => console.error(`[${((performance.now() - t0) / 1000).toFixed(1)}s]`, ...parts);
const t0 = performance.now();

const pkg = await import("../dist/index.js");
if (typeof pkg.migrateForwards !== "function") {
  console.error("dist/index.js has no migrateForwards: build the package (npm run build) with the migration runner.");
  process.exit(2);
}
const { BaseUser } = pkg;
const hasher = pkg.hasherInfo();

const machine = {
  nproc: Number(execFileSync("nproc", { encoding: "utf8" }).trim()),
  availableParallelism: availableParallelism(),
  cpu: /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model,
  node: process.version,
  os: `${platform()} ${release()}`,
  memoryGiB: round(totalmem() / 2 ** 30, 1),
  uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? "4 (default)",
  hasher: { implementation: hasher.implementation, reason: hasher.reason, threads: hasher.threads, queueDepth: hasher.queueDepth },
};
const cores = machine.availableParallelism;

const available = [];
for (const engine of engines) {
  if (!(await serverAvailable(engine))) {
    log(`${engine} is not reachable: skipping it`);
    continue;
  }
  available.push(engine);
}

const dbs = new Databases(pkg);
const results = { machine, mode: (smoke ? "smoke" : "full") + (hashingOnly ? ", hashing only" : "") + (loginOnly ? ", login only" : ""), date: new Date().toISOString(), engines: available, background: {} };
const perEngine = Object.fromEntries(available.map((e) => [e, {}]));
let exitCode = 0;

process.on("SIGINT", () => {
  dbs.dropAll().finally(() => process.exit(130));
});

try {
  // ---- Set-up: a small table (20 users) and a big one (100 000) per engine.
  const env = {};
  for (const engine of available) {
    const smallUrl = await dbs.createMigrated(engine, "small");
    const bigUrl = hashingOnly || loginOnly ? undefined : await dbs.createMigrated(engine, "big");
    const Small = userClass(smallUrl);
    const Big = bigUrl && userClass(bigUrl);
    const Fast = userClass(smallUrl, 1);
    const creds = { username: "bench_user", password: "correct horse battery staple" };
    const fastCreds = { username: "bench_fast", password: "correct horse battery staple" };
    await Small.createUser({ ...creds, email: "bench@example.com", active: true });
    await Fast.createUser({ ...fastCreds, email: "fast@example.com", active: true });
    await Big?.createUser({ ...creds, email: "bench@example.com", active: true });
    const db = await pkg.openDatabase(smallUrl);
    const { password: storedHash } = await db.kysely
      .selectFrom("piccolo_user")
      .select("password")
      .where("username", "=", creds.username)
      .executeTakeFirstOrThrow();
    await bulkInsertUsers(pkg, smallUrl, 18, storedHash, { prefix: "small" });
    if (Big) {
      const insertMs = await bulkInsertUsers(pkg, bigUrl, PLAN.bigUsers - 1, storedHash, { prefix: "big" });
      const count = await Big.countUsers();
      if (count !== PLAN.bigUsers) throw new Error(`big table has ${count} users, not ${PLAN.bigUsers}`);
      log(`${engine}: migrated; ${PLAN.bigUsers} users inserted in ${(insertMs / 1000).toFixed(1)} s`);
    }
    env[engine] = { smallUrl, bigUrl, Small, Big, Fast, creds, fastCreds, storedHash };
  }

  // ---- 1. Login ÷ crypto.pbkdf2 of the same parameters: with the native addon, and with the fallback.
  for (const engine of available) {
    const { Small, Fast, creds, fastCreds } = env[engine];
    perEngine[engine].nonHash = await figure(engine, "nonHash", () => figures.nonHashWork(Fast, fastCreds, PLAN.fastSamples, pkg));
    if (!hashingOnly) {
      const { storedHash } = env[engine];
      perEngine[engine].ownHash = await figure(engine, "ownHash", () => figures.loginOwnHash(pkg, Small, creds, storedHash, PLAN.overheadRounds));
      log(`${engine}: 1o. login ÷ its own hash: paired ${fmt(perEngine[engine].ownHash.paired)}`, ms(perEngine[engine].ownHash), "besides the hash:", ms(perEngine[engine].nonHash));
      perEngine[engine].ownHashLoaded = await figure(engine, "ownHashLoaded", () => figures.loginOwnHashUnderLoad(pkg, Small, creds, storedHash, PLAN.loadedRounds));
      log(`${engine}: 1t. login ÷ its own hash, ${perEngine[engine].ownHashLoaded.inFlight} in flight: paired ${fmt(perEngine[engine].ownHashLoaded.paired)}`, ms(perEngine[engine].ownHashLoaded));
    }
    if (loginOnly) continue;
    const { native, fallback } = await figure(engine, "overhead", () => overheadBothWays(pkg, Small, creds, PLAN.overheadRounds));
    perEngine[engine].overhead = native;
    perEngine[engine].overheadFallback = fallback;
    if (native) log(`${engine}: 1. login ÷ crypto.pbkdf2 with the addon: paired ${fmt(native.paired)}`, ms(native));
    log(`${engine}: 1f. login ÷ crypto.pbkdf2 with the fallback: paired ${fmt(fallback.paired)}`, ms(fallback), "besides the hash:", ms(perEngine[engine].nonHash));
  }

  // ---- 2. Unknown-user parity.
  for (const engine of hashingOnly ? [] : available) {
    const { Small, creds } = env[engine];
    perEngine[engine].parity = await figure(engine, "parity", () => figures.unknownUserParity(Small, creds, PLAN.parityRounds));
    log(`${engine}: 2. unknown-user parity ${fmt(perEngine[engine].parity.value)}`, ms(perEngine[engine].parity));
  }

  // ---- 3 and 4. Throughput with k in flight, and event-loop stall during 16 in flight.
  for (const engine of loginOnly ? [] : available) {
    const { Small, creds } = env[engine];
    const { reference, rows, raw16 } = await figure(engine, "throughput", async () => {
      const samples = [];
      await figures.oneCoreRate(creds.password, PLAN.oneCore, samples);
      const rows = await figures.concurrency(Small, creds, PLAN.levels, PLAN.perLevel, {
        withRaw: !smoke,
        referenceEach: PLAN.referenceEach,
        reference: samples,
      });
      const raw16 = await figures.rawConcurrency(creds.password, 16, smoke ? 8 : PLAN.perLevel(16));
      // The reference: every one-core sample, taken before and between the levels.
      return { reference: await figures.oneCoreRate(creds.password, 1, samples), rows, raw16 };
    });
    perEngine[engine].throughput = {
      oneCoreRate: reference.rate,
      oneCoreMs: reference.medianMs,
      cores,
      rows: rows.map((row) => ({ ...row, ratio: row.rate / ((row.inFlight === 1 ? 1 : cores) * reference.rate) })),
      raw16: { ...raw16, ratio: raw16.rate / (cores * reference.rate) },
    };
    perEngine[engine].stall = rows.find((row) => row.inFlight === 16)?.stall;
    log(
      `${engine}: 3. throughput`,
      perEngine[engine].throughput.rows.map((r) => `${r.inFlight}:${r.rate.toFixed(1)}/s(${fmt(r.ratio)})`).join(" "),
      `raw16 ${fmt(perEngine[engine].throughput.raw16.ratio)}`,
    );
    log(`${engine}: 4. stall p99 ${fmt(perEngine[engine].stall.p99, 1)} ms, max ${fmt(perEngine[engine].stall.max, 1)} ms`);
  }

  // ---- 3p. The peer: better-auth's sign-in (SQLite, its default scrypt), 16 in flight, alternating bursts.
  for (const engine of loginOnly ? [] : available.filter((e) => e === "sqlite")) {
    const { Small, creds } = env[engine];
    const peer = await figure(engine, "peer", () => peerThroughput(Small, creds, dbs.dir, smoke ? { n: 16, rounds: 1 } : { n: 32, rounds: 3 }));
    perEngine[engine].peer = peer;
    log(peer ? `${engine}: 3p. 16 in flight: ours ${fmt(peer.oursRate, 2)}/s, better-auth ${fmt(peer.betterAuthRate, 2)}/s, ratio ${fmt(peer.ratio)}` : `${engine}: 3p. better-auth is not installed: no peer row`);
  }

  // ---- 8. A flood: 1 000 logins at once against a queue depth of 64.
  for (const engine of loginOnly ? [] : available) {
    // --smoke floods with 1-iteration hashes: the same refusals, without minutes of hashing.
    const { Small, Fast, creds, fastCreds } = env[engine];
    const f = await figure(engine, "flood", () => (smoke ? flood(pkg, Fast, fastCreds) : flood(pkg, Small, creds)));
    perEngine[engine].flood = f;
    log(
      `${engine}: 8. flood: ${f.login.accepted} accepted (${f.login.completed} completed), ${f.login.refused} refused in ≤ ${fmt(f.login.refusalMaxMs, 1)} ms` +
        ` (bare hash requests ≤ ${fmt(f.hash.refusalMaxMs, 2)} ms), RSS ${fmt(f.idleRssMiB, 0)} → ${fmt(f.peakRssMiB, 0)} MiB`,
    );
  }

  // ---- 5. Sync API cost.
  for (const engine of hashingOnly ? [] : available) {
    const { Small, creds } = env[engine];
    perEngine[engine].sync = await figure(engine, "sync", () => figures.syncCost(Small, creds, PLAN.syncRounds));
    log(`${engine}: 5. loginSync/login ${fmt(perEngine[engine].sync.value)}`, ms(perEngine[engine].sync));
  }

  // ---- 9. Runtimes: the same login on Node, Bun and Deno (child processes on the same database).
  for (const engine of hashingOnly || loginOnly ? [] : available) {
    const { smallUrl, creds } = env[engine];
    const plan = smoke ? { rounds: 3, n: 8 } : { rounds: 9, n: 32 };
    perEngine[engine].runtimes = await figure(engine, "runtimes", async () => runtimeFigures(smallUrl, creds, plan));
    log(
      `${engine}: 9. runtimes:`,
      Object.entries(perEngine[engine].runtimes).map(([name, f]) => `${name} ${fmt(f.loginMs, 1)} ms, ${fmt(f.rate, 2)}/s`).join("; "),
    );
  }

  // ---- 7. Scale: pages of listUsers, login with 100 000 users, query plans.
  for (const engine of hashingOnly || loginOnly ? [] : available) {
    const { Small, Big, creds } = env[engine];
    const pages = await figure(engine, "pages", () => figures.listPages(Big, [1, deepPage], PLAN.listRuns));
    const login = await figure(engine, "bigLogin", () => figures.bigTableLogin(Small, creds, Big, creds, PLAN.bigLoginRounds));
    const plan = await plans(await pkg.openDatabase(env[engine].bigUrl), creds.username, deepPage);
    perEngine[engine].scale = { users: PLAN.bigUsers, page1Ms: pages[1].medianMs, deepPage, deepMs: pages[deepPage].medianMs, login, plan };
    log(
      `${engine}: 7. page 1 ${fmt(pages[1].medianMs, 2)} ms, page ${deepPage} ${fmt(pages[deepPage].medianMs, 2)} ms, big/small login ${fmt(login.value)}`,
    );
  }

  // ---- 10. The whole login path under load: HTTP from this process to 1 and 4 server processes,
  // sessions and attempts in the database or in Redis (BENCH_REDIS_URL, default the local 6379).
  const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
  const redisReachable = hashingOnly || flag("no-http") ? false : await redisAnswers(pkg, redisUrl);
  if (!hashingOnly && !flag("no-http") && !redisReachable) log(`Redis at ${redisUrl} does not answer: no Redis rows`);
  for (const engine of hashingOnly || flag("no-http") ? [] : available) {
    const { smallUrl, creds } = env[engine];
    await pkg.migrateForwards("all", { database: smallUrl }); // the sessions and login_attempts tables
    const db = await pkg.openDatabase(smallUrl);
    const users = (await db.kysely.selectFrom("piccolo_user").select("username").where("username", "!=", "bench_fast").execute()).map((r) => r.username);
    perEngine[engine].http = [];
    for (const workers of [1, 4]) {
      for (const store of ["database", "redis"]) {
        if (store === "redis" && !redisReachable) continue;
        const point = await figure(engine, `http${workers}${store}`, () =>
          httpLoad({ url: smallUrl, users, password: creds.password, workers, store, redisUrl, seconds: httpSeconds }),
        );
        perEngine[engine].http.push(point);
        const show = (r) => `${fmt(r.requestsPerSecond, 1)}/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.errors} errors`;
        log(`${engine}: 10. HTTP, ${workers} process(es), ${store} store: login ${show(point.login)}; GET ${show(point.get)}`);
      }
    }
  }

  // ---- 11. Two lanes against one in the hash loop (bench/lanes.mjs in a child: it reconfigures hashing).
  if (!flag("no-lanes") && (hashingOnly || loginOnly || !smoke)) {
    await waitForQuiet();
    const lanesPlan = smoke ? ["--rounds=1", "--n=32", "--single=2"] : ["--rounds=3", "--n=48", "--single=5"];
    try {
      const out = execFileSync(process.execPath, [path.join(here, "lanes.mjs"), ...lanesPlan, "--json"], { encoding: "utf8" });
      results.lanes = JSON.parse(out.trim().split("\n").at(-1));
      const l = results.lanes;
      log(
        `11. lanes: 16 in flight ${fmt(l[1].rate, 2)}/s (1 lane), ${fmt(l[2].rate, 2)}/s (2 lanes): ${fmt(l.rateRatio, 2)}×; ` +
          `one login ${fmt(l[1].singleMs, 1)} ms, ${fmt(l[2].singleMs, 1)} ms: ${fmt(l.singleRatio, 3)}× (paired ${fmt(l.singlePaired, 3)}×)`,
      );
    } catch (error) {
      log(`11. lanes: not measured (${String(error.message ?? error).split("\n")[0]})`);
    }
  }

  // ---- 6. Command start-up (whole processes).
  await pkg.closeDatabases();
  // The bin package.json names (the bundled command with its compile cache), as `npx piccolo` runs it.
  const cli = path.join(root, JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).bin.piccolo);
  for (const engine of hashingOnly || loginOnly ? [] : smoke ? available.slice(0, 1) : available) {
    perEngine[engine].startup = await figure(engine, "startup", () => startup(cli, env[engine].smallUrl, "bench_user", PLAN.startupRuns, dbs.dir));
    const s = perEngine[engine].startup;
    log(s ? `${engine}: 6. start-up: node -e 0 ${s.bare.toFixed(3)} s, --help ${s.help.toFixed(3)} s, user list ${s.list.toFixed(3)} s` : `${engine}: 6. ${cli} does not exist yet`);
  }

  // ---- UV_THREADPOOL_SIZE sweep (child processes; on SQLite: the pool does the same on every engine).
  results.sweep = {};
  for (const engine of hashingOnly || loginOnly ? [] : available.filter((e) => e === "sqlite")) {
    results.sweep[engine] = [];
    for (const size of PLAN.sweep) {
      const input = JSON.stringify({
        url: env[engine].smallUrl,
        ...env[engine].creds,
        levels: [2, 4, 16],
        perLevel: 16,
        oneCore: 3,
      });
      await waitForQuiet();
      const before = snapshot();
      const out = execFileSync(process.execPath, [path.join(here, "pool-child.mjs"), input], {
        env: { ...process.env, UV_THREADPOOL_SIZE: String(size) },
        encoding: "utf8",
      });
      const point = JSON.parse(out.trim().split("\n").pop());
      point.background = between(before, snapshot());
      results.sweep[engine].push(point);
      log(
        `${engine}: pool ${size}:`,
        point.rows.map((r) => `${r.inFlight} in flight ${fmt(r.ratio)} (stall p99 ${fmt(r.stall.p99, 1)} max ${fmt(r.stall.max, 1)} ms)`).join("; "),
      );
    }
  }

  results.perEngine = perEngine;
  results.table = buildTable(perEngine);
  results.seconds = round((performance.now() - t0) / 1000, 1);
  console.log(render(results));
  writeFileSync(outFile, `${JSON.stringify(results, replacer, 2)}\n`);
  log(`wrote ${path.relative(process.cwd(), outFile)}`);
  if (flag("strict") && results.table.some((row) => Object.values(row.cells).some((c) => c.pass === false))) exitCode = 1;
} catch (error) {
  console.error(error);
  exitCode = 2;
} finally {
  await dbs.dropAll();
}
process.exit(exitCode);

// ---------------------------------------------------------------------------------------------

/** Whether a Redis answers at `url` (the Redis rows of figure 10 need one). */
async function redisAnswers(pkg, url) {
  try {
    const { RedisConnection } = await import("../dist/session/index.js");
    await (await RedisConnection.connect(url)).close();
    return true;
  } catch {
    return false;
  }
}

function userClass(url, iterations = BaseUser.iterations) {
  return class BenchUser extends BaseUser {
    static database = url;
    static iterations = iterations;
    static logger = { warn() {} };
  };
}

/**
 * Waits for other processes to go quiet, within the run's waiting budget, and never once the run
 * is 150 s old (on a loaded machine the figures themselves take longer: the whole stays < 5 min).
 */
async function waitForQuiet() {
  const maxMs = Math.min(quietBudgetMs, 150_000 - (performance.now() - t0));
  if (maxMs > 0) quietBudgetMs -= await awaitQuiet({ maxMs });
}

/** Runs one figure's measurement, keeping the background load of the machine while it ran. */
async function figure(engine, key, work) {
  await waitForQuiet();
  const { result, background } = await measured(work);
  (results.background[engine] ??= {})[key] = background;
  // Ticks are 10 ms: shares over less than a second of wall time are too coarse to flag.
  if (background && background.seconds >= 1 && background.others + background.steal > 0.1) {
    log(`${engine}: ${key}: other processes used ${(100 * background.others).toFixed(0)}% of the machine (steal ${(100 * background.steal).toFixed(0)}%): noisy`);
  }
  return result;
}

function fmt(x, digits = 3) {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

function ms(result) {
  return Object.entries(result)
    .filter(([key]) => key.endsWith("Ms"))
    .map(([key, value]) => `${key}=${value.toFixed(1)}`)
    .join(" ");
}

function replacer(key, value) {
  return typeof value === "number" ? round(value, 4) : value;
}

/**
 * One row per figure: its target and, per engine, the value and whether it meets the target. A value
 * measured while other processes used more than 10% of the machine is marked `~`.
 */
function buildTable(per) {
  const rows = [];
  const row = (key, id, name, target, pick, check, digits = 3) => {
    const cells = {};
    for (const [engine, r] of Object.entries(per)) {
      const value = pick(r);
      if (value === undefined || value === null) {
        cells[engine] = { text: "n/a", pass: null };
        continue;
      }
      const load = results.background[engine]?.[key];
      const noisy = Boolean(load && load.seconds >= 1 && load.others + load.steal > 0.1);
      const shown = (typeof value === "number" ? value.toFixed(digits) : String(value)) + (noisy ? "~" : "");
      cells[engine] = { value, text: shown, pass: check ? check(value, r) : null, noisy };
    }
    rows.push({ id, name, target, cells });
  };
  const list = (values, digits) => values.map((v) => v.toFixed(digits)).join(", ");
  const native = results.machine.hasher.implementation === "native";
  row("overhead", "1", "login ÷ crypto.pbkdf2, native addon (paired median)", "≤ 0.45", (r) => r.overhead?.paired, (v) => v <= 0.45);
  row("overhead", "", "  ratio of medians", "", (r) => r.overhead?.value);
  row("overhead", "", "  login, crypto.pbkdf2 (ms)", "", (r) => r.overhead && list([r.overhead.loginMs, r.overhead.rawMs], 1));
  row("overhead", "1f", "login ÷ crypto.pbkdf2, fallback (paired median)", "0.97–1.03", (r) => r.overheadFallback?.paired, (v) => v >= 0.97 && v <= 1.03);
  row("overhead", "", "  ratio of medians", "", (r) => r.overheadFallback?.value);
  row("overhead", "", "  login, crypto.pbkdf2 (ms)", "", (r) => r.overheadFallback && list([r.overheadFallback.loginMs, r.overheadFallback.rawMs], 1));
  row("ownHash", "1o", "login ÷ its own hash (verifyPassword, same pool; paired median)", "≤ 1.02", (r) => r.ownHash?.paired, (v) => v <= 1.02);
  row("ownHash", "", "  ratio of medians", "", (r) => r.ownHash?.value);
  row("ownHash", "", "  login, its hash (ms)", "", (r) => r.ownHash && list([r.ownHash.loginMs, r.ownHash.hashMs], 1));
  row("ownHashLoaded", "1t", "the same at 16 in flight: 48 logins ÷ 48 of its hashes (paired median)", "(≤ 1.02)", (r) => r.ownHashLoaded?.paired);
  row("ownHashLoaded", "", "  logins/s, its hashes/s", "", (r) => r.ownHashLoaded && list([r.ownHashLoaded.loginRate, r.ownHashLoaded.hashRate], 2));
  row("nonHash", "", "  login work besides the hash: right, wrong, unknown (ms)", "", (r) => r.nonHash && list([r.nonHash.right, r.nonHash.wrong, r.nonHash.unknown], 2));
  row("nonHash", "1w", "login ÷ its own hash predicted from its work besides it: 1 + (right − 1-iteration hash) ÷ the hash of 1o", "≤ 1.02", (r) => r.nonHash?.hash !== undefined && r.ownHash && 1 + (r.nonHash.right - r.nonHash.hash) / r.ownHash.hashMs, (v) => v <= 1.02, 4);
  row("nonHash", "", "  the same against a 52 ms hash (the addon on a quiet machine)", "≤ 1.02", (r) => r.nonHash?.hash !== undefined && 1 + (r.nonHash.right - r.nonHash.hash) / 52, (v) => v <= 1.02, 4);
  row("nonHash", "", "  1-iteration hash through the pool alone (ms)", "", (r) => r.nonHash?.hash, null, 2);
  row("nonHash", "", "  …after the answer, in the background: right, wrong, unknown (ms)", "", (r) => r.nonHash?.rightWrite !== undefined && list([r.nonHash.rightWrite, r.nonHash.wrongWrite, r.nonHash.unknownWrite], 2));
  row("nonHash", "", "  fallback overhead that predicts (1 + right ÷ crypto.pbkdf2)", "≤ 1.03", (r) => r.nonHash && r.overheadFallback && 1 + r.nonHash.right / r.overheadFallback.rawMs, (v) => v <= 1.03, 4);
  row("parity", "2", "unknown user / known user, wrong password", "0.97–1.03", (r) => r.parity?.value, (v) => v >= 0.97 && v <= 1.03);
  row("parity", "", "  paired (median of per-round ratios)", "", (r) => r.parity?.paired);
  row("parity", "2b", "unknown user / known user, right password", "0.97–1.03", (r) => r.parity?.vsRight, (v) => v >= 0.97 && v <= 1.03);
  row("parity", "", "  paired (median of per-round ratios)", "", (r) => r.parity?.pairedVsRight);
  for (const k of PLAN.levels) {
    row(
      "throughput",
      k === PLAN.levels[0] ? "3" : "",
      `logins/s, ${k} in flight ÷ (${k === 1 ? "" : "cores × "}one-core crypto.pbkdf2 rate)`,
      k === 1 ? (native ? "(≈ 2.5)" : "(≈ 1)") : native ? "≥ 2.0" : "≥ 0.90",
      (r) => r.throughput?.rows.find((x) => x.inFlight === k)?.ratio,
      k === 1 ? null : (v) => v >= (native ? 2.0 : 0.9),
    );
  }
  row("throughput", "", "  logins/s ÷ raw PBKDF2/s, same k, just after: 2, 4, 8, 16", "", (r) => {
    const rows = r.throughput?.rows.filter((x) => x.inFlight > 1 && x.rawRate);
    return rows?.length ? list(rows.map((x) => x.rate / x.rawRate), 2) : undefined;
  });
  row("throughput", "", "  one-core hash rate; logins/s at 16 in flight", "", (r) => r.throughput && `${r.throughput.oneCoreRate.toFixed(2)}/s; ${r.throughput.rows.at(-1).rate.toFixed(2)}/s`);
  row("throughput", "", "  raw PBKDF2, 16 in flight (the platform's ceiling)", "", (r) => r.throughput?.raw16.ratio);
  row("peer", "3p", "logins/s, 16 in flight ÷ better-auth sign-in's (SQLite, scrypt)", "≥ 1.5", (r) => r.peer?.ratio, (v) => v >= 1.5);
  row("peer", "", "  ours, better-auth's (logins/s)", "", (r) => r.peer && list([r.peer.oursRate, r.peer.betterAuthRate], 2));
  row("throughput", "4", "event-loop stall, 16 in flight: p99 (ms)", "≤ 10", (r) => r.stall?.p99, (v) => v <= 10, 1);
  row("throughput", "", "event-loop stall, 16 in flight: max (ms)", "≤ 25", (r) => r.stall?.max, (v) => v <= 25, 1);
  row("throughput", "", "fs.stat while 16 logins run: max (ms)", "≤ 20", (r) => r.throughput?.rows.find((x) => x.inFlight === 16)?.fsStat.max, (v) => v <= 20, 1);
  row("throughput", "", "  fs.stat while 16 logins run: median (ms)", "", (r) => r.throughput?.rows.find((x) => x.inFlight === 16)?.fsStat.median, null, 2);
  row("flood", "8", "1 000 logins at once, queue 64: BusyError after (max, ms)", "≤ 5", (r) => r.flood?.login.refusalMaxMs, (v) => v <= 5, 1);
  row("flood", "", "  BusyError after: median, p99 (ms)", "", (r) => r.flood && list([r.flood.login.refusalMedianMs, r.flood.login.refusalP99Ms], 2));
  row("flood", "", "  refused, accepted, accepted that completed", "", (r) => r.flood && `${r.flood.login.refused}, ${r.flood.login.accepted}, ${r.flood.login.completed}`);
  row("flood", "", "  every accepted login completed", "yes", (r) => r.flood && (r.flood.login.completed === r.flood.login.accepted && r.flood.login.failed === 0 ? "yes" : "no"), (v) => v === "yes");
  row("flood", "", "  1 000 bare hash requests: BusyError after (max, ms)", "≤ 5", (r) => r.flood?.hash.refusalMaxMs, (v) => v <= 5, 2);
  row("flood", "", "    median, p99 (ms)", "", (r) => r.flood && list([r.flood.hash.refusalMedianMs, r.flood.hash.refusalP99Ms], 3));
  row("flood", "", "  peak RSS ÷ idle RSS", "< 2", (r) => r.flood?.rssRatio, (v) => v < 2, 2);
  row("flood", "", "  idle, peak RSS (MiB)", "", (r) => r.flood && list([r.flood.idleRssMiB, r.flood.peakRssMiB], 0));
  row("sync", "5", "loginSync / login (median)", "≤ 1.05", (r) => r.sync?.value, (v) => v <= 1.05);
  row("sync", "", "  paired (median of per-round ratios)", "", (r) => r.sync?.paired);
  const perRuntime = (r, pick, digits) => r.runtimes && Object.entries(r.runtimes).map(([name, f]) => `${name} ${pick(f).toFixed(digits)}`).join(", ");
  row("runtimes", "9", "login on each runtime (ms, median)", "", (r) => perRuntime(r, (f) => f.loginMs, 1));
  row("runtimes", "", "  logins/s, 16 in flight, on each runtime", "", (r) => perRuntime(r, (f) => f.rate, 2));
  row("startup", "6", "`piccolo --help` (s, median)", "≤ 0.15", (r) => r.startup?.help, (v) => v <= 0.15);
  row("startup", "", "`piccolo user list`, 20 users (s, median)", "≤ 0.20", (r) => r.startup?.list, (v) => v <= 0.2);
  row("startup", "", "  bare `node -e 0` (s, median)", "", (r) => r.startup?.bare);
  row("startup", "22", "`piccolo --help` / `node -e 0` (interleaved medians)", "≤ 1.5", (r) => r.startup?.helpRatio, (v) => v <= 1.5);
  row("startup", "", "`piccolo user list` / `node -e 0` (interleaved medians)", "≤ 1.8", (r) => r.startup?.listRatio, (v) => v <= 1.8);
  row("pages", "7", `listUsers page 1 of ${PLAN.bigUsers} users (ms)`, "≤ 20", (r) => r.scale?.page1Ms, (v) => v <= 20, 2);
  row("pages", "", `listUsers page ${deepPage} (ms)`, "≤ 20", (r) => r.scale?.deepMs, (v) => v <= 20, 2);
  row("bigLogin", "", `login, ${PLAN.bigUsers} users / 20 users`, "≤ 1.03", (r) => r.scale?.login.value, (v) => v <= 1.03);
  row("bigLogin", "", "  paired (median of per-round ratios)", "", (r) => r.scale?.login.paired);
  for (const workers of [1, 4]) {
    for (const store of ["database", "redis"]) {
      const pick = (kind) => (r) => {
        const point = r.http?.find((p) => p.workers === workers && p.store === store)?.[kind];
        return point && `${point.requestsPerSecond.toFixed(1)}/s; ${point.p50Ms}/${point.p99Ms} ms; ${point.errors} err`;
      };
      const key = `http${workers}${store}`;
      row(key, workers === 1 && store === "database" ? "10" : "", `HTTP POST /auth/login, ${workers} proc, ${store}: req/s; p50/p99; errors`, "", pick("login"));
      row(key, "", `HTTP GET (session lookup), ${workers} proc, ${store}: req/s; p50/p99; errors`, "", pick("get"));
    }
  }
  row("http4redis", "10r", "authenticated GET/s at 4 processes: Redis ÷ database store", "≥ 1.5", (r) => {
    const at4 = (store) => r.http?.find((p) => p.workers === 4 && p.store === store)?.get.requestsPerSecond;
    return at4("redis") && at4("database") ? at4("redis") / at4("database") : undefined;
  }, (v) => v >= 1.5, 2);
  row("pages", "", "login lookup uses the username index", "yes", (r) => r.scale && (r.scale.plan.loginUsesIndex ? "yes" : "no"), (v) => v === "yes");
  return rows;
}

function render(res) {
  const engines = res.engines;
  const header = ["#", "figure", "target", ...engines];
  // With --only=hashing the figures that did not run are left out of the table.
  const shown = hashingOnly || loginOnly ? res.table.filter((r) => engines.some((e) => r.cells[e].text !== "n/a")) : res.table;
  const lines = shown.map((r) => [
    r.id,
    r.name,
    r.target,
    ...engines.map((e) => {
      const c = r.cells[e];
      return c.pass === null ? c.text : `${c.text} ${c.pass ? "pass" : "FAIL"}`;
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmtLine = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  const out = [];
  const m = res.machine;
  out.push(
    `piccolo-ts benchmark (${res.mode}) — ${m.nproc} cores (nproc), ${m.cpu}, Node ${m.node}, UV_THREADPOOL_SIZE ${m.uvThreadpoolSize}, ${res.seconds} s`,
    `hashing: ${m.hasher.implementation}${m.hasher.reason ? ` (${m.hasher.reason})` : ""}, ${m.hasher.threads} hash threads, queue depth ${m.hasher.queueDepth}`,
    ...(res.mode.startsWith("smoke") ? ["smoke run: a few samples per figure, so pass/fail is indicative only; run `npm run bench` for the figures."] : []),
    "",
    fmtLine(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...lines.map(fmtLine),
    "",
  );
  const l = res.lanes;
  if (l) {
    out.push(
      `11. hash lanes (SQLite, real logins): 16 in flight ${l[1].rate.toFixed(2)}/s with 1 lane, ${l[2].rate.toFixed(2)}/s with 2: ${l.rateRatio.toFixed(2)}× (target ≥ 1.6); ` +
        `one login in flight ${l[1].singleMs.toFixed(1)} ms, ${l[2].singleMs.toFixed(1)} ms: ${l.singleRatio.toFixed(3)}× (paired ${l.singlePaired.toFixed(3)}×; target within 5 %)`,
    );
  }
  for (const engine of engines) {
    const o = res.perEngine[engine].overheadFallback;
    if (!o) continue;
    const drift = o.rawMs / o.rawFastMs;
    out.push(
      `${engine}: raw PBKDF2 median ${o.rawMs.toFixed(1)} ms, fastest tenth ${o.rawFastMs.toFixed(1)} ms` +
        (drift > 1.08
          ? ` — the machine's speed varied by ${(100 * (drift - 1)).toFixed(0)}% during the run (a busy host: invisible to /proc/stat), so single ratios are noisy; the paired rows are steadier`
          : " (a steady run)"),
    );
  }
  for (const engine of engines) {
    const shares = Object.entries(res.background[engine] ?? {}).filter(([, b]) => b);
    if (shares.length === 0) continue;
    const noisy = shares.filter(([, b]) => b.seconds >= 1 && b.others + b.steal > 0.1).map(([k]) => k);
    out.push(
      `${engine}: other processes' share of the machine during the figures: ` +
        shares.map(([k, b]) => `${k} ${(100 * (b.others + b.steal)).toFixed(0)}%`).join(", ") +
        (noisy.length ? `  (noisy: ${noisy.join(", ")})` : ""),
    );
  }
  for (const engine of engines) {
    const plan = res.perEngine[engine].scale?.plan;
    if (!plan) continue;
    out.push("", `${engine}: query plan of the login lookup — ${plan.login.sql}`, ...plan.login.lines.map((l) => `    ${l}`));
  }
  for (const engine of engines) {
    const points = res.sweep?.[engine] ?? [];
    if (points.length === 0) continue;
    out.push("", `${engine}: UV_THREADPOOL_SIZE sweep (logins/s ÷ cores × one-core rate; at 16 in flight: stall p99/max, fs.stat median/max, ms)`);
    for (const p of points) {
      const byK = Object.fromEntries(p.rows.map((r) => [r.inFlight, r]));
      out.push(
        `    size ${String(p.poolSize).padStart(2)}: ${p.rows.map((r) => `${r.inFlight} in flight ${r.ratio.toFixed(3)}`).join(", ")}; ` +
          `stall ${byK[16].stall.p99.toFixed(1)}/${byK[16].stall.max.toFixed(1)} ms; fs.stat ${byK[16].fsStat.median.toFixed(1)}/${byK[16].fsStat.max.toFixed(1)} ms; ` +
          `raw 16 in flight ${p.raw16.ratio.toFixed(3)}` +
          (p.background && p.background.others + p.background.steal > 0.1 ? `  (noisy: others ${(100 * (p.background.others + p.background.steal)).toFixed(0)}%)` : ""),
      );
    }
  }
  return out.join("\n");
}
