import { createRequire } from "node:module";
import { ConfigError } from "../../errors.js";

// The drivers are CommonJS: require() loads them directly, where import() would first scan each
// file for its export names (a few milliseconds of every command's start-up).
const requireDriver = createRequire(import.meta.url);

/**
 * pg asks at load whether it runs on Cloudflare Workers: where there is no `navigator` (Node 20) it
 * builds a `Response` to find out, and the first `Response` loads Node's whole fetch implementation,
 * about 20 ms of every PostgreSQL command's start-up, for an answer that is always no on Node. A
 * `navigator` that exists only while pg loads gives the same answer at once.
 */
function requireWithNavigator(name: string): unknown {
  if ("navigator" in globalThis) return requireDriver(name);
  Object.defineProperty(globalThis, "navigator", { value: { userAgent: `Node.js/${process.version}` }, configurable: true });
  try {
    return requireDriver(name);
  } finally {
    delete (globalThis as { navigator?: unknown }).navigator;
  }
}

/** Loads a database driver on first use, so a program pays only for the engine it uses. */
export function loadDriver<T>(name: "pg" | "mysql2" | "better-sqlite3"): T {
  try {
    return (name === "pg" ? requireWithNavigator(name) : requireDriver(name)) as T;
  } catch (error) {
    throw new ConfigError(
      `The database driver "${name}" cannot be loaded (${(error as Error).message.split("\n")[0]}): reinstall piccolo-ts's dependencies.`,
      { cause: error },
    );
  }
}
