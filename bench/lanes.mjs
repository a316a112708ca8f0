#!/usr/bin/env node
// Two lanes against one in the hash loop (configureHashing({ lanes })): `node bench/lanes.mjs`
// (--rounds=N rounds of each; --n=N logins per round at 16 in flight, counted without the first and
// last 8; --single=N lone logins per round; --json: the figures as one JSON line at the end, for bench/run.mjs).
// Real logins (BaseUser.login, 600 000 iterations) on a SQLite file; lanes 1 and 2 alternate round by
// round in one process, so a shared machine's load hits both alike. Hash threads at nice 0 on both sides
// (the default nice 10 would hand the CPU to other processes on a shared machine and measure them).
// Reports logins/s at 16 in flight, one login's median time, and the CPU time a login costs (from
// process.cpuUsage(): the figure that load on other processes changes least).
import { loadavg, cpus } from "node:os";
import { Databases } from "./lib/setup.mjs";

const option = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const plan = { rounds: option("rounds", 3), n: option("n", 48), single: option("single", 5) };
const IN_FLIGHT = 16;
const WARM = 8;

const pkg = await import("../dist/index.js");
const dbs = new Databases(pkg);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  const url = await dbs.createMigrated("sqlite", "lanes");
  const creds = { username: "bench_user", password: "correct horse battery staple" };
  class User extends pkg.BaseUser {
    static database = url;
  }
  await User.createUser({ ...creds, email: "bench@example.com", active: true });
  const login = async () => {
    if ((await User.login(creds.username, creds.password)) === null) throw new Error("the bench login failed");
  };

  /**
   * `n` logins, IN_FLIGHT at once all along: logins/s and CPU ms per login in the steady state, between
   * the WARM-th completion and the WARM-th before the end (the first hashes of a round start alone on
   * idle threads, and the last ones finish without partners: a server under load is in between).
   */
  async function loaded(n) {
    const marks = [];
    let next = 0;
    let done = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < n) {
        next++;
        await login();
        done++;
        if (done === WARM || done === n - WARM) marks.push({ at: performance.now(), cpu: process.cpuUsage() });
      }
    }));
    const [from, to] = marks;
    const count = n - 2 * WARM;
    const cpuMs = (to.cpu.user + to.cpu.system - from.cpu.user - from.cpu.system) / 1000;
    return { rate: count / ((to.at - from.at) / 1000), cpuMs: cpuMs / count };
  }
  async function alone() {
    const started = performance.now();
    await login();
    return performance.now() - started;
  }
  /** `count` lone logins on each setting, alternating login by login (load changes by the second here). */
  async function lonePairs(count) {
    const ratios = [];
    for (let i = 0; i < count; i++) {
      const times = {};
      for (const lanes of i % 2 ? [2, 1] : [1, 2]) {
        configureBoth(lanes);
        await pkg.hashPassword("warm-up", 1, "warm-up"); // the thread started
        times[lanes] = await alone();
        results[lanes].single.push(times[lanes]);
      }
      ratios.push(times[2] / times[1]);
    }
    return ratios;
  }

  const results = { 1: { rates: [], cpu: [], single: [] }, 2: { rates: [], cpu: [], single: [] } };
  const singleRatios = [];
  const loadBefore = loadavg();
  configureBoth(1);
  await alone(); // the threads started, the file opened
  for (let round = 0; round < plan.rounds; round++) {
    for (const lanes of round % 2 ? [2, 1] : [1, 2]) {
      configureBoth(lanes);
      await alone();
      const { rate, cpuMs } = await loaded(plan.n);
      results[lanes].rates.push(rate);
      results[lanes].cpu.push(cpuMs);
    }
    singleRatios.push(...(await lonePairs(plan.single)));
  }
  const loadAfter = loadavg();
  const info = pkg.hasherInfo();
  console.log(`${cpus().length} cores (${cpus()[0]?.model}), ${info.threads} hash threads, ${info.implementation} ${info.kernel ?? ""} (${info.binary ?? ""}); load average ${loadBefore[0].toFixed(1)} before, ${loadAfter[0].toFixed(1)} after`);
  for (const lanes of [1, 2]) {
    const r = results[lanes];
    console.log(
      `lanes ${lanes}: ${median(r.rates).toFixed(2)} logins/s at ${IN_FLIGHT} in flight (rounds: ${r.rates.map((x) => x.toFixed(2)).join(", ")}); ` +
        `${median(r.cpu).toFixed(1)} ms CPU a login; one login alone ${median(r.single).toFixed(1)} ms (median of ${r.single.length})`,
    );
  }
  const ratio = (f) => f(results[2]) / f(results[1]);
  console.log(
    `2 lanes ÷ 1: logins/s ${ratio((r) => median(r.rates)).toFixed(2)}×, CPU a login ${ratio((r) => median(r.cpu)).toFixed(2)}×, ` +
      `one login alone ${ratio((r) => median(r.single)).toFixed(3)}× (median of per-pair ratios ${median(singleRatios).toFixed(3)}×)`,
  );
  if (process.argv.includes("--json")) {
    const figures = (r) => ({ rate: median(r.rates), cpuMs: median(r.cpu), singleMs: median(r.single) });
    console.log(
      JSON.stringify({
        1: figures(results[1]),
        2: figures(results[2]),
        rateRatio: ratio((r) => median(r.rates)),
        singleRatio: ratio((r) => median(r.single)),
        singlePaired: median(singleRatios),
      }),
    );
  }
} finally {
  await pkg.closeDatabases();
  await dbs.dropAll();
}

function configureBoth(lanes) {
  const info = pkg.configureHashing({ lanes, nice: 0 });
  if (info.lanes !== lanes) throw new Error(`lanes ${lanes} is not available here (the addon's loop: ${info.kernel ?? info.implementation})`);
}
