import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * bcryptjs is pure JavaScript: on the main thread even its async form runs the rounds there, in
 * slices of up to 100 ms. One worker thread, started on the first bcrypt login and unref'd so it never
 * keeps a process alive, does the work instead; the event loop keeps serving.
 */
let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (ok: boolean) => void; reject: (error: Error) => void }>();

// The worker's whole program: compare, reply with the id. Kept inline so the build needs no extra entry.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const bcrypt = require(workerData.bcryptPath);
parentPort.on("message", ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});`;

function startWorker(): Worker {
  const bcryptPath = createRequire(import.meta.url).resolve("bcryptjs");
  const started = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath } });
  started.unref();
  started.on("message", ({ id, ok }: { id: number; ok: boolean }) => {
    const request = pending.get(id);
    if (!request) return;
    pending.delete(id);
    if (pending.size === 0) started.unref();
    request.resolve(ok);
  });
  const fail = (error: Error) => {
    if (worker === started) worker = undefined;
    for (const request of pending.values()) request.reject(error);
    pending.clear();
  };
  started.on("error", fail);
  started.on("exit", (code) => fail(new Error(`The bcrypt worker thread stopped (exit code ${code}).`)));
  return started;
}

/** bcrypt's check of `password` against a `$2a$/$2b$/$2y$` value, on the worker thread. */
export function compareBcrypt(password: string, hash: string): Promise<boolean> {
  worker ??= startWorker();
  const id = nextId++;
  const current = worker;
  return new Promise<boolean>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    current.ref(); // a login waiting for its answer keeps the process alive
    current.postMessage({ id, password, hash });
  });
}
