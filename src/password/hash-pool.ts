import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { BusyError, ConfigError, PiccoloError } from "../errors.js";
import { currentRuntime, runtimeLabel } from "../engine/runtime.js";
import { loadNativePbkdf2, type NativeBinary, type NativeKernel } from "./hash-native.js";
import { LANES_VARIABLE, takePartner } from "./hash-lanes.js";
import type { HashJobMessage, HashPairMessage, HashPairReplyMessage, HashReplyMessage, HashWorkerData } from "./hash-messages.js";

/**
 * Password hashing runs on threads of its own, not on libuv's pool: PBKDF2 there would hold the
 * threads that the file system and `dns.lookup` need (an `fs.stat` waited for whole hashes). The
 * queue in front of the threads is bounded, so a flood of logins is refused at once with a
 * `BusyError` instead of piling up latency and memory.
 */
export interface HashingOptions {
  /** Hashes computed at once (default: PICCOLO_HASH_THREADS, else the number of cores). */
  threads?: number;
  /** Hashes that may wait for a free thread; one more is refused with BusyError (default: PICCOLO_HASH_QUEUE, else 256). */
  maxQueue?: number;
  /** Use the native addon when it is built (default: true unless PICCOLO_NATIVE_HASH=0). */
  native?: boolean;
  /**
   * How much lower than the rest of the process the hash threads are scheduled, as Unix niceness
   * 0–19 (default: PICCOLO_HASH_NICE, else 10). When every core is hashing, the event loop still gets
   * one at once: a login's hash waits a moment, the requests around it do not. Linux only (elsewhere a
   * thread's priority cannot be set apart from the process's); 0 leaves the threads level.
   */
  nice?: number;
  /**
   * Hashes one thread runs together in one loop when that many are waiting: 1 or 2 (default:
   * PICCOLO_HASH_LANES, else 2 where the addon's loop runs two at once: SHA-NI, ARMv8 SHA-2). Two lanes
   * give close to twice the logins per second per core under load; a lone login runs alone, as fast as
   * with 1. Elsewhere (the portable loop, crypto.pbkdf2) 1 is what is in use, whatever is asked.
   */
  lanes?: number;
}

/** How passwords are hashed in this process and how busy the pool is (`hasherInfo()`, `piccolo doctor`). */
export interface HasherInfo {
  /** "native": the addon (native/); "node-crypto": the runtime's `crypto.pbkdf2` (same hashes, 2.5–4× the time). */
  implementation: "native" | "node-crypto";
  /** The runtime hashing, as "Node.js 20.20.0", "Bun 1.4.5" or "Deno 2.9.6" (its node:crypto is the fallback). */
  runtime: string;
  /** The addon's iteration loop when it is in use: "sha-ni" (x86-64 SHA extensions), "armv8-sha2" (arm64's) or "portable" (its own C SHA-256). */
  kernel?: NativeKernel;
  /** The addon binary in use: "prebuilt" (shipped in the package for this platform) or "source" (built at install). */
  binary?: NativeBinary;
  /** Hashes a thread runs at once in one loop when they are waiting (1 or 2). */
  lanes: number;
  /** Why the addon is not in use, when it is not. */
  reason?: string;
  /** Hashes computed at once. */
  threads: number;
  /** The most hashes that may wait for a thread. */
  queueDepth: number;
  /** How far below the process the hash threads are scheduled (Linux niceness; 0 elsewhere). */
  nice: number;
  /** Hashes running now. */
  running: number;
  /** Hashes waiting for a thread now. */
  queued: number;
  /** Hashes this pool has finished since it was configured. */
  completed: number;
  /** PBKDF2 iterations those hashes ran, in all: what a login costs, counted rather than timed. */
  iterationsCompleted: number;
}

interface Job extends HashJobMessage {
  resolve(answer: Buffer | boolean): void;
  reject(error: Error): void;
}

export const DEFAULT_MAX_QUEUE = 256;
export const DEFAULT_NICE = 10;

/** Each option's range: threads, queue depth, niceness. */
const RANGES = { threads: [1, 1_000_000], maxQueue: [0, 1_000_000], nice: [0, 19], lanes: [1, 2] } as const;

type NumericOption = keyof typeof RANGES;

function wholeNumber(value: unknown, option: NumericOption, what: string = option): number {
  const [min, max] = RANGES[option];
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`Hashing option ${what} must be a whole number from ${min} to ${max}: got ${String(value)}.`);
  }
  return n;
}

/** The option as given, else its environment variable, else the default. */
function setting(options: HashingOptions, option: NumericOption, variable: string, fallback: number): number {
  if (options[option] !== undefined) return wholeNumber(options[option], option);
  const value = process.env[variable];
  return value === undefined || value === "" ? fallback : wholeNumber(value, option, `${option} (${variable})`);
}

class HashPool {
  readonly threads: number;
  readonly maxQueue: number;
  readonly nice: number;
  readonly implementation: "native" | "node-crypto";
  readonly reason: string | undefined;
  readonly kernel: NativeKernel | undefined;
  readonly binary: NativeBinary | undefined;
  readonly lanes: number;
  completed = 0;
  iterationsCompleted = 0;
  /** Logins between admission and their end: each may ask for a hash, so they count against the queue. */
  private admitted = 0;
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job[]>();
  private readonly queue: Job[] = [];
  private readonly workers = new Set<Worker>();
  private closing = false;
  // A running estimate of one hash's time, for BusyError's retryAfterSeconds.
  private meanMs = 100;

  constructor(options: HashingOptions) {
    this.threads = setting(options, "threads", "PICCOLO_HASH_THREADS", availableParallelism());
    this.maxQueue = setting(options, "maxQueue", "PICCOLO_HASH_QUEUE", DEFAULT_MAX_QUEUE);
    const nice = setting(options, "nice", "PICCOLO_HASH_NICE", DEFAULT_NICE);
    this.nice = process.platform === "linux" ? nice : 0;
    const native = options.native === false ? { pbkdf2: undefined, reason: "turned off by configureHashing({ native: false })" } : loadNativePbkdf2();
    this.implementation = native.pbkdf2 ? "native" : "node-crypto";
    this.reason = native.reason;
    this.kernel = native.kernel;
    this.binary = "binary" in native ? native.binary : undefined;
    const lanes = setting(options, "lanes", LANES_VARIABLE, 2);
    this.lanes = this.implementation === "native" ? Math.min(lanes, native.lanes ?? 1) : 1;
  }

  info(): HasherInfo {
    return {
      implementation: this.implementation,
      runtime: runtimeLabel(currentRuntime()),
      ...(this.kernel ? { kernel: this.kernel } : {}),
      ...(this.binary ? { binary: this.binary } : {}),
      lanes: this.lanes,
      ...(this.reason ? { reason: this.reason } : {}),
      threads: this.threads,
      queueDepth: this.maxQueue,
      nice: this.nice,
      running: this.running(),
      queued: this.queue.length,
      completed: this.completed,
      iterationsCompleted: this.iterationsCompleted,
    };
  }

  /** The BusyError a hash asked for now would get, or undefined when it would be accepted. */
  refusal(): BusyError | undefined {
    const free = this.idle.length > 0 || this.workers.size < this.threads;
    if (free || this.queue.length < this.maxQueue) return undefined;
    return this.busyError(this.queue.length + this.running());
  }

  /**
   * Lets a login in when the pool could take its hash: at most threads + maxQueue logins at once, so a
   * flood is refused before its queries, not after them. Returns the release, to call when it ends.
   */
  admit(): () => void {
    if (this.admitted >= this.threads + this.maxQueue) throw this.busyError(this.admitted);
    this.admitted++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.admitted--;
    };
  }

  private running(): number {
    let jobs = 0;
    for (const running of this.busy.values()) jobs += running.length;
    return jobs;
  }

  private busyError(ahead: number): BusyError {
    // A flood makes thousands of these in a burst: without a captured stack (a refusal has nothing to
    // debug) each is a small object, and the burst does not set off garbage collections mid-way.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new BusyError(Math.max(1, Math.ceil(((ahead / this.threads) * this.meanMs) / 1000)));
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
  }

  derive(password: Uint8Array, salt: Uint8Array, iterations: number, keyLength: number): Promise<Buffer> {
    return this.enqueue({ password, salt, iterations, keyLength }) as Promise<Buffer>;
  }

  /** An imported hash's check, queued and bounded like a PBKDF2 one and run on the same threads. */
  verifyLegacy(password: Uint8Array, stored: string): Promise<boolean> {
    return this.enqueue({ password, salt: new Uint8Array(0), iterations: 0, keyLength: 0, legacy: stored }) as Promise<boolean>;
  }

  private enqueue(message: HashJobMessage): Promise<Buffer | boolean> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    return new Promise<Buffer | boolean>((resolve, reject) => {
      this.queue.push({ ...message, resolve, reject });
      this.dispatch();
    });
  }

  /** Lets queued and running hashes finish, then ends the threads. */
  close(): void {
    this.closing = true;
    this.dispatch();
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.workers.size < this.threads ? this.spawn() : undefined);
      if (!worker) return;
      const job = this.queue.shift()!;
      const partner = takePartner(this.queue, job, this.lanes, this.idle.length + this.threads - this.workers.size);
      const jobs = partner ? [job, partner] : [job];
      this.busy.set(worker, jobs);
      worker.ref(); // a running hash keeps the process alive until its promise settles
      const started = performance.now();
      worker.once("message", (reply: HashReplyMessage | HashPairReplyMessage) => {
        this.busy.delete(worker);
        // Per hash: a pair's time counts for two (what the queue's wait estimate needs).
        this.meanMs = 0.8 * this.meanMs + (0.2 * (performance.now() - started)) / jobs.length;
        this.release(worker);
        const replies = "pair" in reply ? reply.pair : [reply];
        jobs.forEach((each, i) => this.settle(each, replies[i]!));
      });
      // Copies with buffers of their own, moved to the thread: a view of Node's shared Buffer pool would
      // send the whole pool (other strings' bytes too) by structured clone.
      const messages = jobs.map((each): HashJobMessage => {
        const message: HashJobMessage = { password: new Uint8Array(each.password), salt: new Uint8Array(each.salt), iterations: each.iterations, keyLength: each.keyLength };
        if (each.legacy !== undefined) message.legacy = each.legacy; // never paired (hash-lanes.ts)
        return message;
      });
      const moved = messages.flatMap((m) => [m.password.buffer as ArrayBuffer, m.salt.buffer as ArrayBuffer]);
      worker.postMessage(messages.length === 2 ? ({ pair: [messages[0]!, messages[1]!] } satisfies HashPairMessage) : messages[0]!, moved);
    }
    if (this.closing && this.queue.length === 0) for (const worker of this.idle.splice(0)) void worker.terminate();
  }

  private settle(job: Job, reply: HashReplyMessage): void {
    this.completed++;
    this.iterationsCompleted += job.iterations;
    if ("error" in reply) job.reject(new PiccoloError(`Password hashing failed: ${reply.error}`, "HASH_FAILED"));
    else if ("matches" in reply) job.resolve(reply.matches);
    else job.resolve(Buffer.from(reply.key.buffer, reply.key.byteOffset, reply.key.byteLength));
  }

  private release(worker: Worker): void {
    worker.unref(); // an idle thread never keeps a finished script running
    this.idle.push(worker);
    this.dispatch();
  }

  private spawn(): Worker {
    const worker = new Worker(new URL("./hash-worker.js", import.meta.url), {
      workerData: { native: this.implementation === "native", nice: this.nice } satisfies HashWorkerData,
      // None of the parent's flags: `--input-type`, `--eval` and the like are refused in a worker, and
      // a thread that only hashes needs no loader or hook.
      execArgv: [],
    });
    this.workers.add(worker);
    // A thread that crashed or was ended: its hash (if any) fails, the next job starts a new thread.
    const forget = (error: Error) => {
      if (!this.workers.delete(worker)) return;
      const jobs = this.busy.get(worker) ?? [];
      this.busy.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      for (const job of jobs) job.reject(new PiccoloError(`Password hashing failed: ${error.message}`, "HASH_FAILED", { cause: error }));
      this.dispatch(); // the queue goes on (on a new thread), even on a pool being closed
    };
    worker.on("error", forget);
    worker.on("exit", (code) => forget(new Error(`the hash thread stopped (exit code ${code})`)));
    return worker;
  }
}

let pool: HashPool | undefined;

function current(): HashPool {
  return (pool ??= new HashPool({}));
}

/**
 * Sets the hash pool's size, queue depth and implementation; hashes already accepted finish on the
 * previous pool. Returns what is now in use. Call it once at start-up when the defaults (a thread per
 * core, 256 waiting) do not fit, e.g. to leave cores to other work.
 *
 * @example
 * ```ts
 * const info = configureHashing({ threads: 2, maxQueue: 64 });
 * console.log(info.implementation); // "native" or "node-crypto"
 * ```
 */
export function configureHashing(options: HashingOptions = {}): HasherInfo {
  const next = new HashPool(options);
  pool?.close();
  pool = next;
  return next.info();
}

/**
 * Which PBKDF2 is in use and how the pool is set up (what `piccolo doctor` prints): for health checks and metrics.
 *
 * @example
 * ```ts
 * const { implementation, running, queued, queueDepth } = hasherInfo();
 * console.log(`${implementation}: ${running} running, ${queued}/${queueDepth} queued`);
 * ```
 */
export function hasherInfo(): HasherInfo {
  return current().info();
}

/**
 * Admits a login to the hash pool, or throws BusyError at once when as many logins are under way as the
 * pool can run and queue: a flood is refused before its queries. Call the returned function when the
 * login ends.
 */
export function admitLogin(): () => void {
  return current().admit();
}

/** The BusyError a hash asked for now would get, or undefined: lets a caller refuse before preparing one. */
export function hashRefusal(): BusyError | undefined {
  return current().refusal();
}

/** PBKDF2-HMAC-SHA256 on the hash pool; rejects with BusyError at once when its queue is full. */
export function deriveKey(password: Uint8Array, salt: Uint8Array, iterations: number, keyLength: number): Promise<Buffer> {
  return current().derive(password, salt, iterations, keyLength);
}

/**
 * Checks a password against an imported hash (legacy-hashes.ts) on the hash pool's threads: queued and
 * bounded like PBKDF2 (BusyError at once past the queue), never on libuv's pool or a thread of its own.
 */
export function verifyLegacyOnPool(password: Uint8Array, stored: string): Promise<boolean> {
  return current().verifyLegacy(password, stored);
}

/** The same key on the calling thread (for the …Sync API), with the addon when it is in use. */
export function deriveKeySync(password: Uint8Array, salt: Uint8Array, iterations: number, keyLength: number): Buffer | undefined {
  return current().implementation === "native" ? loadNativePbkdf2().pbkdf2!(password, salt, iterations, keyLength) : undefined;
}
