import { closeDatabase, type Database } from "../engine/connect.js";
import { DEFAULT_ITERATIONS } from "../password/hasher.js";
import { checkPasswords } from "./check-passwords.js";
import { createUser } from "./create-user.js";
import { getUser, type UserRef } from "./find-user.js";
import { countUsers, listUsers } from "./list-users.js";
import { login } from "./login.js";
import { hasPendingLogin, settleLoginWrites } from "./login-writes.js";
import { changePermissions, deleteUser, updatePassword, updateProfile } from "./manage-users.js";
import { SESSIONS_TABLE } from "./sessions-table.js";
import { openUserDatabase, syncSettingsOf, type UserSettings } from "./settings.js";
import { callSync } from "./sync.js";
import type { User } from "./user-row.js";
import { validatePassword } from "./validation.js";

export type { UserRef } from "./find-user.js";
export type { CreateUserInput, LoginCredentials, LoginOptions, Permissions, GuardOptions, ProfileChanges, UserFilter, ListUsersOptions, PasswordProblem, UserLogger } from "./user-types.js";
import type { CreateUserInput, LoginCredentials, LoginOptions, Permissions, GuardOptions, ProfileChanges, UserFilter, ListUsersOptions, PasswordProblem, UserLogger } from "./user-types.js";


/**
 * Piccolo's `BaseUser`: create, authenticate and manage the users in `piccolo_user`, sharing the table,
 * hash format and migrations with Python Piccolo.
 *
 * Every method is static, and reads its settings from `this`, so a subclass customises them:
 * `class AppUser extends BaseUser { static minPasswordLength = 10 }`. Each method reads them once, as
 * one record (`settings()`), and passes it to the module doing the job beside this file (login.ts,
 * create-user.ts, manage-users.ts, list-users.ts, …): those take the record, never the class.
 *
 * @example
 * ```ts
 * import { BaseUser, migrateForwards } from "piccolo-ts";
 *
 * await migrateForwards("user");
 * const bob = await BaseUser.createUser({ username: "bob", password: "bob-s3cret", active: true });
 * const id = await BaseUser.login("bob", "bob-s3cret"); // bob.id, or null for a wrong password
 * await BaseUser.close();
 *
 * class AppUser extends BaseUser {
 *   static override minPasswordLength = 10;
 *   static override database = process.env.DATABASE_URL;
 * }
 * ```
 */
export class BaseUser {
  /** The user table; a subclass may use another (create it with `migrateForwards(createUserApp(name))`). */
  static tableName = "piccolo_user";
  /** piccolo_api's sessions table, whose rows end when a password changes or a user is deactivated. */
  static readonly sessionsTable = SESSIONS_TABLE;
  /** Shortest password accepted by `createUser` and `updatePassword` (Piccolo: 6). */
  static minPasswordLength = 6;
  /** Longest password accepted (Piccolo: 128); a longer one at login answers null without hashing. */
  static maxPasswordLength = 128;
  /** Longest username accepted (Piccolo's column is `varchar(100)`). */
  static maxUsernameLength = 100;
  /** PBKDF2 iterations for new hashes; older hashes are upgraded on the next successful login. */
  static iterations = DEFAULT_ITERATIONS;
  /** A database URL or path, or an open `Database`; unset follows the resolution order (`DATABASE_URL`, config, `./piccolo.sqlite`). */
  static database: string | Database | undefined = undefined;
  /**
   * Opt-in: `login(identifier, password)` also takes an email; an identifier with `@` is looked up as an
   * email first (ASCII letters compared case-insensitively), then as a username. One query either way.
   */
  static loginWithEmail = false;
  /**
   * Opt-in: `Bob`, `bob` and `BOB` are one user (Unicode folding, see username-folding.ts), enforced by
   * a unique index: run `piccolo migrations forwards user_case_insensitive` first.
   */
  static caseInsensitiveUsernames = false;
  /** Where login warnings go (they name user ids, never values). */
  static logger: UserLogger = { warn: (message) => console.warn(`piccolo-ts: ${message}`) };

  /**
   * The open database this class uses (its `database`, else the resolution order): for queries of your
   * own next to the user table.
   *
   * @example
   * ```ts
   * const db = await BaseUser.getDatabase();
   * const newest = await db.kysely.selectFrom(BaseUser.tableName).select(["id", "username"]).orderBy("id", "desc").limit(5).execute();
   * ```
   */
  static getDatabase(): Promise<Database> {
    return openUserDatabase(this);
  }

  /**
   * This class's settings (its statics) as one record, read now: what the job functions behind each
   * method take, and what a worker thread gets to act as this class.
   *
   * @example
   * ```ts
   * class AppUser extends BaseUser { static override minPasswordLength = 10; }
   * AppUser.settings().minPasswordLength; // 10
   * ```
   */
  static settings(): UserSettings {
    return {
      tableName: this.tableName,
      minPasswordLength: this.minPasswordLength,
      maxPasswordLength: this.maxPasswordLength,
      maxUsernameLength: this.maxUsernameLength,
      iterations: this.iterations,
      loginWithEmail: this.loginWithEmail,
      caseInsensitiveUsernames: this.caseInsensitiveUsernames,
      database: this.database,
      logger: this.logger,
    };
  }

  /**
   * Checks a password against this class's rules, throwing `ValidationError` with Piccolo's messages:
   * to check a form field before doing anything else with it.
   *
   * @example
   * ```ts
   * try {
   *   AppUser.validatePassword(form.get("password"));
   * } catch (error) {
   *   if (error instanceof ValidationError) console.log(error.message); // "The password is too short. (min 10)"
   * }
   * ```
   */
  static validatePassword(password: unknown): asserts password is string {
    validatePassword(password, this.settings());
  }

  /**
   * Validates (Piccolo's rules and messages), hashes and inserts; a taken username or email is a
   * `UserExistsError`. Returns the stored user, without its password.
   *
   * @example
   * ```ts
   * const carol = await BaseUser.createUser({
   *   username: "carol", password: "abc123", email: "carol@example.com", active: true, admin: true,
   * });
   * carol.id; // the new row's id
   * ```
   */
  static createUser(input: CreateUserInput): Promise<User> {
    return createUser(this.settings(), input);
  }

  /**
   * The user's id when the password is right, else null. Costs one password hash whether or not the
   * username exists; sets `last_login` and upgrades a hash made with another iteration count.
   * Inactive users authenticate too, as in Piccolo, unless `options.allow` says otherwise.
   *
   * @example
   * ```ts
   * const id = await BaseUser.login("carol", "abc123");                     // carol's id, or null
   * await BaseUser.login({ username: "carol", password: "nope" });          // null
   * await BaseUser.login("carol", "abc123", { allow: (user) => user.active && user.admin }); // admins only
   * ```
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
      return login(this.settings(), usernameOrCredentials.username, usernameOrCredentials.password, options ?? undefined);
    }
    return login(this.settings(), usernameOrCredentials, passwordOrOptions, maybeOptions);
  }

  /**
   * Sets a new password for a user given by id or username and ends their sessions; `UserNotFoundError`
   * when there is none. The password is checked against the class's rules first.
   *
   * @example
   * ```ts
   * await BaseUser.updatePassword("carol", "n3w-secret"); // by username…
   * await BaseUser.updatePassword(42, "n3w-secret");      // …or by id
   * ```
   */
  static updatePassword(user: UserRef, password: string): Promise<void> {
    return updatePassword(this.settings(), user, password);
  }

  /**
   * Sets any of `admin`, `superuser`, `active` (one transaction); clearing `active` or `admin` ends the
   * user's sessions. Returns the user as stored.
   *
   * @example
   * ```ts
   * await BaseUser.changePermissions("carol", { superuser: true });
   * await BaseUser.changePermissions("dave", { active: false }, { keepOneAdminSuperuser: true }); // logs dave out
   * ```
   */
  static changePermissions(user: UserRef, permissions: Permissions, options?: GuardOptions): Promise<User> {
    return changePermissions(this.settings(), user, permissions, options);
  }

  /**
   * Deletes a user and their sessions (one transaction); `UserNotFoundError` when there is none.
   *
   * @example
   * ```ts
   * await BaseUser.deleteUser("dave", { keepOneAdminSuperuser: true });
   * ```
   */
  static async deleteUser(user: UserRef, options?: GuardOptions): Promise<void> {
    // A last_login still to be written must not land on a new user given the freed id (SQLite reuses ids).
    await this.settleLogins();
    return deleteUser(this.settings(), user, options);
  }

  /**
   * Changes username, email, first or last name with `createUser`'s rules; returns the stored user.
   *
   * @example
   * ```ts
   * const carol = await BaseUser.updateProfile("carol", { email: "carol@example.org", lastName: "Smith" });
   * ```
   */
  static updateProfile(user: UserRef, changes: ProfileChanges): Promise<User> {
    return updateProfile(this.settings(), user, changes);
  }

  /**
   * A page of users, never with their passwords. Piccolo's rules: limit and page > 0, any column but password.
   *
   * @example
   * ```ts
   * const page = await BaseUser.listUsers({ limit: 20, page: 1, orderBy: "-last_login" });
   * const admins = await BaseUser.listUsers({ search: "smith", filter: { admin: true, active: true } });
   * ```
   */
  static async listUsers(options?: ListUsersOptions | null): Promise<User[]> {
    await this.settleLogins();
    return listUsers(this.settings(), options);
  }

  /**
   * How many users match a search and filter (as `listUsers` takes them): to show "page 1 of n".
   *
   * @example
   * ```ts
   * const total = await BaseUser.countUsers({ filter: { active: true } });
   * const pages = Math.ceil(total / 20);
   * ```
   */
  static async countUsers(options?: Pick<ListUsersOptions, "search" | "filter"> | null): Promise<number> {
    await this.settleLogins();
    return countUsers(this.settings(), options);
  }

  /**
   * The user with this id or username, or null.
   *
   * @example
   * ```ts
   * const carol = await BaseUser.getUser("carol"); // or getUser(42)
   * if (carol?.superuser) console.log(`${carol.username} is a superuser`);
   * ```
   */
  static async getUser(user: UserRef): Promise<User | null> {
    const settings = this.settings();
    const found = await getUser(settings, user);
    if (!found) return null;
    // The user's own login, answered just before, is in the user returned: read again once it is written.
    const database = await openUserDatabase(settings);
    if (!hasPendingLogin(database, settings.tableName, found.id)) return found;
    await settleLoginWrites(database, settings.tableName, found.id);
    return getUser(settings, user);
  }

  /**
   * Users whose stored password is malformed or weaker than this class's: ids and usernames, never
   * values. Run it after a bulk update or an import, or before raising `iterations`.
   *
   * @example
   * ```ts
   * for (const { username, problem } of await BaseUser.checkPasswords()) {
   *   console.log(`${username}: ${problem}`); // "malformed", "weak" or "legacy"
   * }
   * ```
   */
  static checkPasswords(options?: { batchSize?: number } | null): Promise<PasswordProblem[]> {
    return checkPasswords(this.settings(), options);
  }

  /**
   * `createUser` without `await`, on any engine (a worker thread does the work while this thread waits):
   * for synchronous code, such as a CommonJS seed script's top level.
   *
   * @example
   * ```ts
   * const erin = BaseUser.createUserSync({ username: "erin", password: "erin-s3cret" });
   * ```
   */
  static createUserSync(input: CreateUserInput): User {
    return callSync<User>(syncSettingsOf(this.settings()), "createUser", [input]);
  }

  /**
   * `login` without `await` (a worker thread does the work while this thread waits). It blocks the
   * calling thread for a whole hash: keep it out of servers.
   *
   * @example
   * ```ts
   * const id = BaseUser.loginSync("erin", "erin-s3cret");        // erin's id, or null
   * BaseUser.loginSync({ username: "erin", password: "wrong" }); // null
   * ```
   */
  static loginSync(credentials: LoginCredentials): number | null;
  static loginSync(username: string, password: string): number | null;
  static loginSync(usernameOrCredentials: string | LoginCredentials, password?: string): number | null {
    return callSync<number | null>(syncSettingsOf(this.settings()), "login", [usernameOrCredentials, password]);
  }

  /**
   * `updatePassword` without `await` (a worker thread does the work while this thread waits).
   *
   * @example
   * ```ts
   * BaseUser.updatePasswordSync("erin", "n3w-secret");
   * ```
   */
  static updatePasswordSync(user: UserRef, password: string): void {
    callSync<void>(syncSettingsOf(this.settings()), "updatePassword", [user, password]);
  }

  /**
   * Closes this class's database (the pool piccolo-ts opened for its `database`), so a script can end,
   * once the `last_login` writes of the logins already answered are done.
   * Other pools stay open: another class's on another database, a session store's. `closeDatabases()`
   * closes every pool piccolo-ts opened; a `Database` you opened yourself and gave as `database` is
   * yours to close. Pools are shared by URL: a class or store on the same database finds it closed and
   * opens a new one on its next call.
   *
   * @example
   * ```ts
   * await BaseUser.login("bob", "bob-s3cret");
   * await BaseUser.close(); // without it the open pool keeps Node running
   * ```
   */
  static async close(): Promise<void> {
    await settleLoginWrites();
    if (typeof this.database !== "object") await closeDatabase(this.database);
  }

  /**
   * Waits until the `last_login` of every login of this class already answered is written (a login
   * answers before that write, just after its hash). This class's reads (`getUser`, `listUsers`,
   * `countUsers`), `deleteUser` and `close()` wait already; call it before reading `last_login` with a
   * query of your own. Not inside a transaction that has written to the user table: the write it waits
   * for would wait for that transaction.
   *
   * @example
   * ```ts
   * await BaseUser.login("bob", "bob-s3cret");
   * await BaseUser.settleLogins();
   * const db = await BaseUser.getDatabase();
   * const row = await db.kysely.selectFrom(BaseUser.tableName).select("last_login").where("username", "=", "bob").executeTakeFirst();
   * ```
   */
  static async settleLogins(): Promise<void> {
    await settleLoginWrites(await this.getDatabase(), this.tableName);
  }
}
