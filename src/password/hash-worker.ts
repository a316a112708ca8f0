// One thread of the hash pool (hash-pool.ts): derives one key per message, synchronously, so the
// pool's size is the number of hashes running at once; or two keys in one loop (hash-lanes.ts).
import { pbkdf2Sync } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { getPriority, setPriority } from "node:os";
import { loadNativePbkdf2 } from "./hash-native.js";
import type { HashJobMessage, HashPairMessage, HashPairReplyMessage, HashReplyMessage, HashWorkerData } from "./hash-messages.js";
import { verifyLegacySync } from "./legacy-verify.js";

const settings = workerData as HashWorkerData;
const addon = settings.native ? loadNativePbkdf2() : undefined;
const native = addon?.pbkdf2;

// On Linux a priority set for "process 0" is this thread's alone: the hash yields the CPU to the event
// loop and the rest of the process, never the other way round. Elsewhere it would be the whole process's.
if (settings.nice > 0 && process.platform === "linux") {
  try {
    setPriority(0, Math.min(19, getPriority(0) + settings.nice));
  } catch {
    // A sandbox that forbids it: the thread hashes at the process's priority.
  }
}

/** The pool sends a pair only when the addon's pair is in use (lanes 2). */
function derivePair({ pair: [a, b] }: HashPairMessage): void {
  let reply: HashPairReplyMessage;
  try {
    const keys = addon!.pair!(a.password, a.salt, a.iterations, a.keyLength, b.password, b.salt, b.iterations, b.keyLength);
    reply = { pair: [{ key: new Uint8Array(keys[0]), native: true }, { key: new Uint8Array(keys[1]), native: true }] };
  } catch (error) {
    const failed = { error: String((error as Error)?.message ?? error) };
    reply = { pair: [failed, failed] };
  } finally {
    a.password.fill(0);
    b.password.fill(0);
  }
  parentPort!.postMessage(reply, reply.pair.flatMap((each) => ("key" in each ? [each.key.buffer as ArrayBuffer] : [])));
}

parentPort!.on("message", (message: HashJobMessage | HashPairMessage) => {
  if ("pair" in message) return derivePair(message);
  const { password, salt, iterations, keyLength, legacy } = message;
  let reply: HashReplyMessage;
  try {
    if (legacy !== undefined) {
      // An imported hash (legacy-hashes.ts): checked here, so it waits in the same bounded queue.
      reply = { matches: verifyLegacySync(password, legacy, native) };
    } else {
      const key = native
        ? native(password, salt, iterations, keyLength)
        : pbkdf2Sync(password, salt, iterations, keyLength, "sha256");
      const own = new Uint8Array(key); // a buffer of its own, moved (not cloned) to the pool
      reply = { key: own, native: native !== undefined };
    }
  } catch (error) {
    reply = { error: String((error as Error)?.message ?? error) };
  } finally {
    password.fill(0); // this thread's copy of the password
  }
  parentPort!.postMessage(reply, "key" in reply ? [reply.key.buffer as ArrayBuffer] : []);
});
