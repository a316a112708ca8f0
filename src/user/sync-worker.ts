import { workerData } from "node:worker_threads";
import { PiccoloError } from "../errors.js";
import { BaseUser } from "./base-user.js";
import { pendingLoginIds, settleLoginWrites } from "./login-writes.js";
import type { SyncSettings } from "./settings.js";
import type { SerializedError, SyncReply, SyncRequest, SyncWorkerData } from "./sync.js";

const classes = new Map<string, typeof BaseUser>();

function userClass(settings: SyncSettings): typeof BaseUser {
  const key = JSON.stringify(settings);
  let cls = classes.get(key);
  if (!cls) {
    cls = class extends BaseUser {};
    Object.assign(cls, settings);
    classes.set(key, cls);
  }
  return cls;
}

function serialize(error: unknown): SerializedError {
  if (error instanceof PiccoloError) {
    const { name, message, stack: _stack, cause: _cause, ...properties } = error as PiccoloError & Record<string, unknown>;
    return { name, message, properties: { ...properties, code: error.code } };
  }
  // Not one of ours (database errors are translated before they get here): the original goes along as
  // `cause`, so its message and stack are not lost.
  const { name = "Error", message = String(error), stack } = (error ?? {}) as Partial<Error>;
  return { name: "PiccoloError", message: "Unexpected failure in the sync worker.", properties: {}, cause: { name, message, stack } };
}

async function run({ settings, method, args }: SyncRequest): Promise<SyncReply> {
  const cls = userClass(settings);
  try {
    const value = await (cls[method] as (...a: unknown[]) => Promise<unknown>).apply(cls, args);
    // A loginSync answers before its last_login write, as login does; the calling thread's reads wait for it.
    return { ok: true, value, writing: pendingLoginIds() };
  } catch (error) {
    return { ok: false, error: serialize(error) };
  }
}

// One request at a time: the calling thread sleeps until the counter moves, then reads the reply.
const { port, written, replies } = workerData as SyncWorkerData;
port.on("message", (request: SyncRequest) => {
  void run(request).then((reply) => {
    try {
      port.postMessage(reply);
    } catch (error) {
      port.postMessage({ ok: false, error: serialize(error) } satisfies SyncReply); // a value that cannot be cloned
    }
    Atomics.add(replies, 0, 1);
    Atomics.notify(replies, 0);
    // settleLoginWrites never rejects: a failed write is logged by the writer.
    if (reply.ok && reply.writing.length > 0) void settleLoginWrites().then(() => written.postMessage(request.ticket));
  });
});
