// The …Sync variants: a worker thread runs the async method while this thread sleeps on a shared
// counter (Atomics.wait), then takes the reply off the port with receiveMessageOnPort.
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import * as errors from "../errors.js";
import { waitAlsoFor, type WritesElsewhere } from "./login-writes.js";
import type { SyncSettings } from "./settings.js";

export type { SyncSettings };

export type SyncMethod = "createUser" | "login" | "updatePassword";

export interface SyncRequest {
  /** Names the request in the worker's "written" message. */
  ticket: number;
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

/**
 * `writing`: the users whose `last_login` the worker writes after this reply (a loginSync answers before
 * that write, as login does); it posts the request's ticket on its `written` port once they are written.
 */
export type SyncReply = { ok: true; value: unknown; writing: number[] } | { ok: false; error: SerializedError };

/** What sync-worker.ts is started with: its ends of the channels and the counter it bumps per reply. */
export interface SyncWorkerData {
  port: MessagePort;
  written: MessagePort;
  replies: Int32Array;
}

interface SyncRunner {
  port: MessagePort;
  replies: Int32Array;
  writes: WorkerLoginWrites;
}

/**
 * The worker's `last_login` writes for logins it has answered: this thread's reads, `settleLogins` and
 * `close()` wait for them (login-writes.ts), and so does the process before it exits: the port is
 * referenced only while a write is outstanding.
 */
class WorkerLoginWrites implements WritesElsewhere {
  private readonly outstanding = new Map<number, number[]>();
  private waiters: Array<() => void> = [];

  constructor(private readonly written: MessagePort) {
    written.on("message", (ticket: number) => this.finish(ticket));
    written.unref();
  }

  expect(ticket: number, ids: number[]): void {
    if (this.outstanding.size === 0) this.written.ref();
    this.outstanding.set(ticket, ids);
  }

  awaits(userId: number): boolean {
    for (const ids of this.outstanding.values()) if (ids.includes(userId)) return true;
    return false;
  }

  settle(): Promise<void> {
    return this.outstanding.size === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  /** A ticket's writes are done, or (with no ticket) the worker is gone and will write nothing more. */
  finish(ticket?: number): void {
    if (ticket === undefined) this.outstanding.clear();
    else this.outstanding.delete(ticket);
    if (this.outstanding.size > 0) return;
    this.written.unref();
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

let runner: SyncRunner | undefined;
let lastTicket = 0;

/** The worker thread, started on first use: most programs (and every CLI command) never call a …Sync method. */
function startRunner(): SyncRunner {
  const requests = new MessageChannel();
  const written = new MessageChannel();
  const replies = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL("./sync-worker.js", import.meta.url), {
    workerData: { port: requests.port2, written: written.port2, replies } satisfies SyncWorkerData,
    transferList: [requests.port2, written.port2],
  });
  worker.unref(); // an idle worker never keeps a finished script running
  const writes = new WorkerLoginWrites(written.port1);
  worker.on("exit", () => writes.finish());
  waitAlsoFor(writes);
  return { port: requests.port1, replies, writes };
}

function runInWorker(request: Omit<SyncRequest, "ticket">): SyncReply {
  runner ??= startRunner();
  const { port, replies, writes } = runner;
  const ticket = ++lastTicket;
  const seen = Atomics.load(replies, 0);
  port.postMessage({ ...request, ticket } satisfies SyncRequest);
  Atomics.wait(replies, 0, seen);
  const reply = receiveMessageOnPort(port);
  if (!reply) throw new errors.PiccoloError("The sync worker stopped without answering.", "UNKNOWN");
  const message = reply.message as SyncReply;
  if (message.ok && message.writing.length > 0) writes.expect(ticket, message.writing);
  return message;
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
