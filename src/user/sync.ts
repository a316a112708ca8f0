// The …Sync variants: a worker thread runs the async method while this thread sleeps on a shared
// counter (Atomics.wait), then takes the reply off the port with receiveMessageOnPort.
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import * as errors from "../errors.js";
import type { SyncSettings } from "./settings.js";

export type { SyncSettings };

export type SyncMethod = "createUser" | "login" | "updatePassword";

export interface SyncRequest {
  settings: SyncSettings;
  method: SyncMethod;
  args: unknown[];
}

/** Errors cross the thread boundary as plain data and are rebuilt here as the same typed class. */
export interface SerializedError {
  name: string;
  message: string;
  properties: Record<string, unknown>;
  /** For an error that is not one of ours: the original's name, message and stack. */
  cause?: { name: string; message: string; stack?: string };
}

export type SyncReply = { ok: true; value: unknown } | { ok: false; error: SerializedError };

/** What sync-worker.ts is started with: its end of the channel and the counter it bumps per reply. */
export interface SyncWorkerData {
  port: MessagePort;
  replies: Int32Array;
}

interface SyncRunner {
  port: MessagePort;
  replies: Int32Array;
}

let runner: SyncRunner | undefined;

/** The worker thread, started on first use: most programs (and every CLI command) never call a …Sync method. */
function startRunner(): SyncRunner {
  const { port1, port2 } = new MessageChannel();
  const replies = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL("./sync-worker.js", import.meta.url), {
    workerData: { port: port2, replies } satisfies SyncWorkerData,
    transferList: [port2],
  });
  worker.unref(); // an idle worker never keeps a finished script running
  return { port: port1, replies };
}

function runInWorker(request: SyncRequest): SyncReply {
  runner ??= startRunner();
  const { port, replies } = runner;
  const seen = Atomics.load(replies, 0);
  port.postMessage(request);
  Atomics.wait(replies, 0, seen);
  const reply = receiveMessageOnPort(port);
  if (!reply) throw new errors.PiccoloError("The sync worker stopped without answering.", "UNKNOWN");
  return reply.message as SyncReply;
}

/**
 * Runs a BaseUser method to completion on a worker thread while this thread waits, so the `…Sync`
 * variants work on every engine with the same code as the async ones.
 */
export function callSync<T>(settings: SyncSettings, method: SyncMethod, args: unknown[]): T {
  const reply = runInWorker({ settings, method, args });
  if (reply.ok) return reply.value as T;
  throw rebuildError(reply.error);
}

function rebuildError({ name, message, properties, cause }: SerializedError): Error {
  const ErrorClass = (errors as Record<string, unknown>)[name];
  if (cause || typeof ErrorClass !== "function") {
    const original = cause ? Object.assign(new Error(cause.message), { name: cause.name, stack: cause.stack }) : undefined;
    return new errors.PiccoloError(message, "UNKNOWN", { cause: original });
  }
  const error = Object.create((ErrorClass as { prototype: object }).prototype) as Error;
  Error.captureStackTrace(error, callSync);
  Object.defineProperty(error, "message", { value: message, writable: true, configurable: true });
  return Object.assign(error, properties, { name });
}
