import type { Kysely } from "kysely";
import type { EngineName } from "../engine/config.js";
import type { EngineDialect } from "../engine/dialects/index.js";

/** What a migration's steps receive: a Kysely bound to the migration's own transaction, and the engine's facts. */
export interface MigrationContext {
  /** Kysely bound to this migration's transaction: run every statement through it. */
  db: Kysely<any>;
  /** The engine's name, for messages; decide with `dialect`. */
  engine: EngineName;
  /** The engine's facts (column types, whether DDL is transactional): branch on these, not on `engine`. */
  dialect: EngineDialect;
}

/** One migration of an app, identified by Piccolo's migration ID (e.g. `2019-11-14T21:52:21`). */
export interface Migration {
  /** Piccolo's migration ID, recorded in the `migration` table's `name`; unique within its app. */
  id: string;
  /** One line saying what it does (shown by `migrations check`). */
  description: string;
  /** Applies the change. */
  forwards(context: MigrationContext): Promise<void>;
  /** Undoes `forwards`. */
  backwards(context: MigrationContext): Promise<void>;
}

/** A migration app (`user`, `session_auth`): its migrations in the order they apply. */
export interface MigrationApp {
  /** The app's name, as the CLI and `migrateForwards` take it and the `migration` table records it. */
  name: string;
  /** Its migrations, oldest first. */
  migrations: readonly Migration[];
  /** Not run by `forwards all`: only when named (e.g. `user_case_insensitive`, which changes behaviour). */
  optIn?: boolean;
}
