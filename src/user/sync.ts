import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
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

let runInWorker: ((request: SyncRequest) => SyncReply) | undefined;

/**
 * Runs a BaseUser method to completion on a worker thread while this thread waits (Atomics.wait via
 * synckit), so the `…Sync` variants work on every engine with the same code as the async ones.
 */
export function callSync<T>(settings: SyncSettings, method: SyncMethod, args: unknown[]): T {
  if (!runInWorker) {
    // Loaded on first use only: most programs (and every CLI command) never call a …Sync method.
    const { createSyncFn } = createRequire(import.meta.url)("synckit") as typeof import("synckit");
    runInWorker = createSyncFn<(request: SyncRequest) => Promise<SyncReply>>(
      fileURLToPath(new URL("./sync-worker.js", import.meta.url)),
    );
  }
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
