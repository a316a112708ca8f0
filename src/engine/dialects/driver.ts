import { createRequire } from "node:module";
import { ConfigError } from "../../errors.js";

// The drivers are CommonJS: require() loads them directly, where import() would first scan each
// file for its export names (a few milliseconds of every command's start-up).
const requireDriver = createRequire(import.meta.url);

/** Loads a database driver on first use, so a program pays only for the engine it uses. */
export function loadDriver<T>(name: "pg" | "mysql2" | "better-sqlite3"): T {
  try {
    return requireDriver(name) as T;
  } catch (error) {
    throw new ConfigError(
      `The database driver "${name}" cannot be loaded (${(error as Error).message.split("\n")[0]}): reinstall piccolo-ts's dependencies.`,
      { cause: error },
    );
  }
}
