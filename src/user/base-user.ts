import { useDatabase, closeDatabases, type Database } from "../engine/connect.js";
import { runTranslated } from "../engine/database-errors.js";
import { checkPasswords } from "./check-passwords.js";
import { createUser } from "./create-user.js";
import { findUserRow, type UserRef } from "./find-user.js";
import { DEFAULT_ITERATIONS } from "./hasher.js";
import { countUsers, listUsers } from "./list-users.js";
import { login } from "./login.js";
import { changePermissions, deleteUser, updatePassword, updateProfile } from "./manage-users.js";
import { SESSIONS_TABLE } from "./sessions-table.js";
import { callSync, type SyncSettings } from "./sync.js";
import { PUBLIC_COLUMNS, userFromRow, type User } from "./user-row.js";
import { validatePassword, validateUserRef } from "./validation.js";

export type { UserRef } from "./find-user.js";

export interface CreateUserInput {
  username: string;
  password: string;
  email?: string;
  firstName?: string | null;
  lastName?: string | null;
  /** Piccolo's defaults: every flag false. */
  active?: boolean;
  admin?: boolean;
  superuser?: boolean;
}

export interface LoginCredentials {
  username: string;
  password: string;
}

export interface LoginOptions {
  /**
   * Who may log in here (e.g. only active admins): when it returns false for a user whose password was
   * right, the login answers null and records nothing (no `last_login`), like a wrong password.
   */
  allow?: (user: User) => boolean;
}

export interface Permissions {
  admin?: boolean;
  superuser?: boolean;
  active?: boolean;
}

/** For changes that can take away the right to manage users. */
export interface GuardOptions {
  /** Refuse (`LastSuperuserError`) when no active admin superuser would remain. */
  keepOneAdminSuperuser?: boolean;
}

export interface ProfileChanges {
  username?: string;
  email?: string;
  firstName?: string | null;
  lastName?: string | null;
}

/** Users whose flags have these values (each optional; combined with AND). */
export interface UserFilter {
  active?: boolean;
  admin?: boolean;
  superuser?: boolean;
}

export interface ListUsersOptions {
  /** Rows per page, > 0 (default 20). */
  limit?: number;
  /** 1-based page, > 0 (default 1). */
  page?: number;
  /** A column other than password (snake_case as stored, or camelCase); `-` first for descending. Default `username`. */
  orderBy?: string;
  /** Case-insensitive substring of username, email, first or last name. */
  search?: string;
  filter?: UserFilter;
}

/** A user whose stored password needs attention: not a hash at all, or fewer iterations than required. */
export interface PasswordProblem {
  id: number;
  username: string;
  problem: "malformed" | "weak";
  /** The stored iteration count, for `weak`. */
  iterations?: number;
}

export interface UserLogger {
  warn(message: string): void;
}

/**
 * Piccolo's `BaseUser`: create, authenticate and manage the users in `piccolo_user`.
 *
 * Every method is static, and reads its settings from `this`, so a subclass customises them:
 * `class AppUser extends BaseUser { static minPasswordLength = 10 }`. The work itself lives in one
 * module per job beside this file (login.ts, create-user.ts, manage-users.ts, list-users.ts, …).
 */
export class BaseUser {
  static tableName = "piccolo_user";
  /** piccolo_api's sessions table, whose rows end when a password changes or a user is deactivated. */
  static readonly sessionsTable = SESSIONS_TABLE;
  static minPasswordLength = 6;
  static maxPasswordLength = 128;
  static maxUsernameLength = 100;
  /** PBKDF2 iterations for new hashes; older hashes are upgraded on the next successful login. */
  static iterations = DEFAULT_ITERATIONS;
  /** A database URL or path, or an open `Database`; unset follows the resolution order (`DATABASE_URL`, config, `./piccolo.sqlite`). */
  static database: string | Database | undefined = undefined;
  /** Where login warnings go (they name user ids, never values). */
  static logger: UserLogger = { warn: (message) => console.warn(`piccolo-ts: ${message}`) };

  /** The open database this class uses. */
  static getDatabase(): Promise<Database> {
    return useDatabase(this.database);
  }

  /** Checks a password against this class's rules, throwing `ValidationError` with Piccolo's messages. */
  static validatePassword(password: unknown): asserts password is string {
    validatePassword(password, this);
  }

  /** Validates (Piccolo's rules and messages), hashes and inserts; a taken username or email is a `UserExistsError`. */
  static createUser(input: CreateUserInput): Promise<User> {
    return createUser(this, input);
  }

  /**
   * The user's id when the password is right, else null. Costs one password hash whether or not the
   * username exists; sets `last_login` and upgrades a hash made with another iteration count.
   * Inactive users authenticate too, as in Piccolo, unless `options.allow` says otherwise.
   */
  static login(credentials: LoginCredentials, options?: LoginOptions): Promise<number | null>;
  static login(username: string, password: string, options?: LoginOptions): Promise<number | null>;
  static login(
    usernameOrCredentials: string | LoginCredentials,
    passwordOrOptions?: string | LoginOptions,
    maybeOptions?: LoginOptions,
  ): Promise<number | null> {
    if (typeof usernameOrCredentials === "object" && usernameOrCredentials !== null) {
      const options = typeof passwordOrOptions === "object" ? passwordOrOptions : undefined;
      return login(this, usernameOrCredentials.username, usernameOrCredentials.password, options ?? undefined);
    }
    return login(this, usernameOrCredentials, passwordOrOptions, maybeOptions);
  }

  /** Sets a new password for a user given by id or username and ends their sessions; `UserNotFoundError` when there is none. */
  static updatePassword(user: UserRef, password: string): Promise<void> {
    return updatePassword(this, user, password);
  }

  /** Sets any of `admin`, `superuser`, `active` (one transaction); clearing `active` or `admin` ends the user's sessions. */
  static changePermissions(user: UserRef, permissions: Permissions, options?: GuardOptions): Promise<User> {
    return changePermissions(this, user, permissions, options);
  }

  /** Deletes a user and their sessions (one transaction); `UserNotFoundError` when there is none. */
  static deleteUser(user: UserRef, options?: GuardOptions): Promise<void> {
    return deleteUser(this, user, options);
  }

  /** Changes username, email, first or last name with `createUser`'s rules; returns the stored user. */
  static updateProfile(user: UserRef, changes: ProfileChanges): Promise<User> {
    return updateProfile(this, user, changes);
  }

  /** A page of users, never with their passwords. Piccolo's rules: limit and page > 0, any column but password. */
  static listUsers(options?: ListUsersOptions | null): Promise<User[]> {
    return listUsers(this, options);
  }

  static countUsers(options?: Pick<ListUsersOptions, "search" | "filter"> | null): Promise<number> {
    return countUsers(this, options);
  }

  /** The user with this id or username, or null. */
  static async getUser(user: UserRef): Promise<User | null> {
    const ref = validateUserRef(user);
    const database = await this.getDatabase();
    return runTranslated(database, async () => {
      const row = await findUserRow(database, this.tableName, ref, PUBLIC_COLUMNS);
      return row ? userFromRow(row) : null;
    });
  }

  /** Users whose stored password is malformed or weaker than this class's: ids and usernames, never values. */
  static checkPasswords(options?: { batchSize?: number } | null): Promise<PasswordProblem[]> {
    return checkPasswords(this, options);
  }

  /** `createUser` without `await`, on any engine (a worker thread does the work). */
  static createUserSync(input: CreateUserInput): User {
    return callSync<User>(this.syncSettings(), "createUser", [input]);
  }

  static loginSync(credentials: LoginCredentials): number | null;
  static loginSync(username: string, password: string): number | null;
  static loginSync(usernameOrCredentials: string | LoginCredentials, password?: string): number | null {
    return callSync<number | null>(this.syncSettings(), "login", [usernameOrCredentials, password]);
  }

  static updatePasswordSync(user: UserRef, password: string): void {
    callSync<void>(this.syncSettings(), "updatePassword", [user, password]);
  }

  /** Closes every database connection piccolo-ts opened, so a script can end. */
  static async close(): Promise<void> {
    await closeDatabases();
  }

  /** The settings a worker thread needs to act as this class. */
  protected static syncSettings(): SyncSettings {
    return {
      tableName: this.tableName,
      minPasswordLength: this.minPasswordLength,
      maxPasswordLength: this.maxPasswordLength,
      maxUsernameLength: this.maxUsernameLength,
      iterations: this.iterations,
      database: typeof this.database === "object" ? this.database.target.url : this.database,
    };
  }
}
