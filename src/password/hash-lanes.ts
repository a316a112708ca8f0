// Two lanes in the hash loop: a thread given two waiting hashes runs both in one register loop (the
// addon's pbkdf2Sha256Pair), close to twice the logins per second per core, since one chain of SHA-256
// compressions leaves the SHA unit idle between its dependent instructions. A lone hash never waits for
// a partner: pairs are made only from hashes already queued.

/** Overrides the lanes default (2 where the addon's loop runs two chains, else 1). */
export const LANES_VARIABLE = "PICCOLO_HASH_LANES";

const PLAIN_JOB_FIELDS = new Set(["password", "salt", "iterations", "keyLength", "resolve", "reject"]);

/**
 * Whether a queued job can share the loop: a PBKDF2-HMAC-SHA256 job and nothing else. A job that
 * carries any other field (another hash format, say) runs alone.
 */
function pairable(job: object): boolean {
  return Object.keys(job).every((key) => PLAIN_JOB_FIELDS.has(key));
}

/**
 * The job to run with `first` on one thread, taken from the front of `queue`, or undefined: only with
 * two lanes, and only when more jobs wait than `freeThreads` (idle or not yet started) can begin now, so
 * a pair never takes a hash that a free thread would start at once.
 */
export function takePartner<Job extends object>(queue: Job[], first: Job, lanes: number, freeThreads: number): Job | undefined {
  if (lanes < 2 || queue.length <= freeThreads || !pairable(first) || !pairable(queue[0]!)) return undefined;
  return queue.shift();
}
