import type { EngineName } from "../config.js";
import { mysqlDialect } from "./mysql.js";
import { postgresDialect } from "./postgres.js";
import { sqliteDialect } from "./sqlite.js";
import type { EngineDialect } from "./types.js";

export type { EngineDialect, DriverError } from "./types.js";

export const dialects: Readonly<Record<EngineName, EngineDialect>> = {
  sqlite: sqliteDialect,
  postgres: postgresDialect,
  mysql: mysqlDialect,
};
