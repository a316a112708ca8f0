import { ConfigError } from "../../errors.js";

// Each by its literal name, so a bundler sees them (scripts/build-cli.mjs leaves them out of the
// command's bundle and loads them from node_modules).
type DriverName = "pg" | "mysql2" | "better-sqlite3";
const DRIVERS: Record<DriverName, () => Promise<unknown>> = {
  pg: () => import("pg"),
  mysql2: () => import("mysql2"),
  "better-sqlite3": () => import("better-sqlite3"),
};

/**
 * Loads a database driver on first use, so a program pays only for the engine it uses. The drivers
 * are CommonJS: their module.exports is the namespace's default export.
 */
export async function loadDriver<T>(name: DriverName): Promise<T> {
  try {
    const namespace = (await DRIVERS[name]()) as { default?: T };
    return (namespace.default ?? namespace) as T;
  } catch (error) {
    throw new ConfigError(
      `The database driver "${name}" cannot be loaded (${(error as Error).message.split("\n")[0]}): reinstall piccolo-ts's dependencies.`,
      { cause: error },
    );
  }
}
