// A user class's settings as one record. `BaseUser` keeps them as statics (so a subclass overrides one
// with `static override minPasswordLength = 10`); each of its methods reads them once, with
// `BaseUser.settings()`, and hands the record to the module doing the job (login.ts, create-user.ts, …).
// Those modules never see the class: they take the record, or the part of it they use.
import { useDatabase, type Database } from "../engine/connect.js";
import type { UserLogger } from "./user-types.js";

/** Everything that makes one user class differ from another: `BaseUser`'s statics of the same names. */
export interface UserSettings {
  /** The user table. */
  tableName: string;
  /** Shortest password accepted by createUser and updatePassword. */
  minPasswordLength: number;
  /** Longest password accepted; a longer one at login answers null without hashing. */
  maxPasswordLength: number;
  /** Longest username accepted. */
  maxUsernameLength: number;
  /** PBKDF2 iterations of new hashes. */
  iterations: number;
  /** An identifier with `@` may log in as an email. */
  loginWithEmail: boolean;
  /** Usernames compare folded (`Bob` = `bob`). */
  caseInsensitiveUsernames: boolean;
  /** A database URL or path, an open `Database`, or undefined for the resolution order. */
  database: string | Database | undefined;
  /** Where login warnings go. */
  logger: UserLogger;
}

/**
 * The settings a worker thread needs to act as a user class (the `…Sync` methods): the record without
 * its logger (a function does not cross threads) and with the database as a URL.
 */
export type SyncSettings = Omit<UserSettings, "database" | "logger"> & {
  /** The class's `database` as a URL, or undefined for the configured default. */
  database: string | undefined;
};

/** The settings as they cross to a worker thread (see SyncSettings). */
export function syncSettingsOf({ logger: _logger, database, ...rest }: UserSettings): SyncSettings {
  return { ...rest, database: typeof database === "object" ? database.target.url : database };
}

/**
 * The open database a user class uses: its `database`, else the resolution order. Opened by each job
 * after its own checks, so a refused input never opens (or waits for) a database.
 */
export function openUserDatabase(settings: Pick<UserSettings, "database">): Promise<Database> {
  return useDatabase(settings.database);
}
