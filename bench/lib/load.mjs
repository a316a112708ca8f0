// How much of the machine other processes used while a figure ran: the benchmark shares its cores,
// and a figure measured while something else was busy is flagged instead of trusted silently.
// Linux only (reads /proc); elsewhere the figures are null.
import { readFileSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";

const cores = availableParallelism();

function cpuLine() {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
}

function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime + stime, plus cutime + cstime: the child processes this one waited for (the CLI runs).
    const ticks = Number(after[11]) + Number(after[12]) + Number(after[13]) + Number(after[14]);
    return { comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), ticks };
  } catch {
    return null;
  }
}

/** CPU ticks of the PostgreSQL server processes (they work for the benchmark, not against it). */
function postgresTicks() {
  let sum = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const p = processTicks(name);
    if (p && p.comm.startsWith("postgres")) sum += p.ticks;
  }
  return sum;
}

export function snapshot() {
  try {
    return { cpu: cpuLine(), self: processTicks("self").ticks, postgres: postgresTicks() };
  } catch {
    return null;
  }
}

/**
 * Shares of the whole machine between two snapshots: `others` is what neither this process nor the
 * PostgreSQL server used; `steal` is time the hypervisor gave to other guests.
 */
export function between(a, b) {
  if (!a || !b) return null;
  const busy = b.cpu.busy - a.cpu.busy;
  const total = busy + (b.cpu.idle - a.cpu.idle) + (b.cpu.steal - a.cpu.steal);
  if (total <= 0) return null;
  const ours = b.self - a.self;
  const server = b.postgres - a.postgres;
  return {
    seconds: total / 100 / Math.max(1, cores),
    others: Math.max(0, busy - ours - server) / total,
    steal: (b.cpu.steal - a.cpu.steal) / total,
    self: ours / total,
    server: server / total,
  };
}

/** Runs `work` and returns its result with the background load measured around it. */
export async function measured(work) {
  const before = snapshot();
  const result = await work();
  return { result, background: between(before, snapshot()) };
}

/**
 * Waits (at most `maxMs`) until other processes use less than `threshold` of the machine over a
 * `windowMs` window; returns the milliseconds waited. Other engineers' test runs come and go.
 */
export async function awaitQuiet({ maxMs, threshold = 0.1, windowMs = 300 }) {
  const start = performance.now();
  for (;;) {
    const a = snapshot();
    if (!a) return 0;
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const load = between(a, snapshot());
    const waited = performance.now() - start;
    if (!load || load.others + load.steal < threshold || waited >= maxMs) return waited;
  }
}
