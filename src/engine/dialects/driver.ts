import { ConfigError } from "../../errors.js";

type DriverName = "pg" | "mysql2" | "better-sqlite3";

/**
 * Loads a database driver on first use, so a program pays only for the engine it uses. The drivers
 * are CommonJS: their module.exports is the namespace's default export.
 */
export async function loadDriver<T>(name: DriverName): Promise<T> {
  try {
    const namespace = (await import(name)) as { default?: T };
    return (namespace.default ?? namespace) as T;
  } catch (error) {
    throw new ConfigError(
      `The database driver "${name}" cannot be loaded (${(error as Error).message.split("\n")[0]}): reinstall piccolo-ts's dependencies.`,
      { cause: error },
    );
  }
}
