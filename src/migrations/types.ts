import type { Kysely } from "kysely";
import type { EngineName } from "../engine/config.js";
import type { EngineDialect } from "../engine/dialects/index.js";

/** What a migration's steps receive: a Kysely bound to the migration's own transaction, and the engine's facts. */
export interface MigrationContext {
  db: Kysely<any>;
  /** The engine's name, for messages; decide with `dialect`. */
  engine: EngineName;
  dialect: EngineDialect;
}

/** One migration of an app, identified by Piccolo's migration ID (e.g. `2019-11-14T21:52:21`). */
export interface Migration {
  id: string;
  description: string;
  forwards(context: MigrationContext): Promise<void>;
  backwards(context: MigrationContext): Promise<void>;
}

/** A migration app (`user`, `session_auth`): its migrations in the order they apply. */
export interface MigrationApp {
  name: string;
  migrations: readonly Migration[];
}
