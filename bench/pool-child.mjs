// One point of the thread-pool sweep: run by bench/run.mjs as a child process with
// UV_THREADPOOL_SIZE set (libuv reads it once, at the pool's first use, so each size needs a process).
// Input: a JSON argument { url, username, password, levels, perLevel, oneCore }; output: one JSON line.
import { availableParallelism } from "node:os";
import { concurrency, oneCoreRate, rawConcurrency } from "./lib/figures.mjs";

const { url, username, password, levels, perLevel, oneCore } = JSON.parse(process.argv[2]);
const { BaseUser, closeDatabases } = await import("../dist/index.js");

class PoolUser extends BaseUser {
  static database = url;
  static logger = { warn() {} };
}

const creds = { username, password };
await PoolUser.login(username, password); // connect, warm up
const cores = availableParallelism();
const samples = [];
await oneCoreRate(password, oneCore, samples);
const rows = await concurrency(PoolUser, creds, levels, (k) => Math.max(perLevel, k * 2), { referenceEach: 2, reference: samples });
const reference = await oneCoreRate(password, 1, samples);
const raw16 = await rawConcurrency(password, 16, Math.max(perLevel, 32));
await closeDatabases();
process.stdout.write(
  `${JSON.stringify({
    poolSize: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
    cores,
    oneCoreRate: reference.rate,
    rows: rows.map((row) => ({ ...row, ratio: row.rate / (cores * reference.rate) })),
    raw16: { ...raw16, ratio: raw16.rate / (cores * reference.rate) },
  })}\n`,
);
