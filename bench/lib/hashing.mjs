// Issue 12's hashing figures: the native addon against crypto.pbkdf2, and the bounded queue under a
// flood of logins. The pool is reconfigured per figure (configureHashing) and restored after.
import { loginOverhead } from "./figures.mjs";
import { max, median, percentile } from "./stats.mjs";

/**
 * Figure 1 twice: login ÷ one crypto.pbkdf2 of the same parameters, with the addon and with the
 * crypto.pbkdf2 fallback (each pair interleaved, the same user and database). `native` is null when
 * the addon is not in use here.
 */
export async function overheadBothWays(pkg, User, creds, rounds) {
  try {
    const native = pkg.configureHashing({ native: true }).implementation === "native" ? await loginOverhead(User, creds, rounds) : null;
    pkg.configureHashing({ native: false });
    const fallback = await loginOverhead(User, creds, rounds);
    return { native, fallback };
  } finally {
    pkg.configureHashing();
  }
}

/**
 * Starts `count` calls in one turn of the event loop, each from its own setImmediate callback (as a
 * server's separate requests arrive): Node runs the microtasks of one callback before the next, so a
 * call's time to a refusal is its own, not that of the 999 calls started after it.
 */
async function settleAll(count, start) {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((resolve) => {
          setImmediate(() => {
            const begin = performance.now();
            start().then(
              (value) => resolve({ value, ms: performance.now() - begin }),
              (error) => resolve({ error, ms: performance.now() - begin }),
            );
          });
        }),
    ),
  );
}

/**
 * `count` logins fired at once with a queue depth of `maxQueue`: how fast the excess is refused
 * (BusyError), the peak RSS against the idle one, and whether every accepted login completed. The
 * same for bare hash requests (hashPassword), whose refusal does not wait for the login's SELECT.
 */
export async function flood(pkg, User, creds, { count = 1000, maxQueue = 64, iterations = User.iterations } = {}) {
  const { threads } = pkg.configureHashing({ maxQueue });
  try {
    // Threads started and the database connected: "idle" is a warmed-up process between bursts.
    await Promise.all(Array.from({ length: threads }, () => User.login(creds.username, creds.password)));
    globalThis.gc?.();
    const idleRss = process.memoryUsage.rss();
    let peakRss = idleRss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 2);
    const begin = performance.now();
    const logins = await settleAll(count, () => User.login(creds.username, creds.password));
    const wallMs = performance.now() - begin;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const hashes = await settleAll(count, () => pkg.hashPassword(creds.password, iterations));
    const summary = (outcomes) => {
      const refused = outcomes.filter((o) => o.error instanceof pkg.BusyError);
      const accepted = outcomes.filter((o) => !o.error);
      const failed = outcomes.filter((o) => o.error && !(o.error instanceof pkg.BusyError));
      return {
        accepted: accepted.length,
        refused: refused.length,
        failed: failed.length,
        firstFailure: failed[0] ? String(failed[0].error?.message ?? failed[0].error) : undefined,
        refusalMedianMs: median(refused.map((o) => o.ms)),
        refusalP99Ms: percentile(refused.map((o) => o.ms), 99),
        refusalMaxMs: max(refused.map((o) => o.ms)),
        retryAfterSeconds: refused[0]?.error.retryAfterSeconds,
      };
    };
    const loginSummary = summary(logins);
    return {
      count,
      maxQueue,
      iterations,
      threads,
      login: { ...loginSummary, completed: logins.filter((o) => typeof o.value === "number").length },
      hash: summary(hashes),
      wallMs,
      idleRssMiB: idleRss / 2 ** 20,
      peakRssMiB: peakRss / 2 ** 20,
      rssRatio: peakRss / idleRss,
    };
  } finally {
    pkg.configureHashing();
  }
}
