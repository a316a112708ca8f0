// One thread of the hash pool (hash-pool.ts): derives one key per message, synchronously, so the
// pool's size is the number of hashes running at once.
import { pbkdf2Sync } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { loadNativePbkdf2 } from "./hash-native.js";
import type { HashJobMessage, HashReplyMessage } from "./hash-pool.js";

const native = (workerData as { native: boolean }).native ? loadNativePbkdf2().pbkdf2 : undefined;

parentPort!.on("message", ({ password, salt, iterations, keyLength }: HashJobMessage) => {
  let reply: HashReplyMessage;
  try {
    const key = native
      ? native(password, salt, iterations, keyLength)
      : pbkdf2Sync(password, salt, iterations, keyLength, "sha256");
    const own = new Uint8Array(key); // a buffer of its own, moved (not cloned) to the pool
    reply = { key: own, native: native !== undefined };
  } catch (error) {
    reply = { error: String((error as Error)?.message ?? error) };
  } finally {
    password.fill(0); // this thread's copy of the password
  }
  parentPort!.postMessage(reply, "key" in reply ? [reply.key.buffer as ArrayBuffer] : []);
});
