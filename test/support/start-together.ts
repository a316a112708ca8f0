// Preloaded into CLI processes of a race test (NODE_OPTIONS=--import=<this file>): each waits until the
// moment in PICCOLO_TEST_START_AT (ms since the epoch) before loading the CLI, so processes spawned
// one after another start their real work together.
const startAt = Number(process.env.PICCOLO_TEST_START_AT);
const wait = startAt - Date.now();
if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
export {};
