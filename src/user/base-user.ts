import type { Expression, ExpressionBuilder, SqlBool } from "kysely";
import { sql } from "../engine/kysely.js";
import { useDatabase, closeDatabases, type Database } from "../engine/connect.js";
import { missingTableName, translateDatabaseError, uniqueViolationColumn } from "../engine/errors.js";
import { booleanToDatabase, nowTimestamp } from "../engine/values.js";
import { UserExistsError, UserNotFoundError, ValidationError } from "../errors.js";
import { DEFAULT_ITERATIONS, burnOneHash, hashPassword, parseStoredHash, verifyPassword } from "./hasher.js";
import { callSync, type SyncSettings } from "./sync.js";
import { PUBLIC_COLUMNS, userFromRow, type PublicColumn, type User } from "./user-row.js";
import {
  exceedsLength,
  isComparableText,
  isStorableId,
  validateEmail,
  validateFlag,
  validateName,
  validatePassword,
  validateSearch,
  validateUserRef,
  validateUsername,
} from "./validation.js";

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

export interface Permissions {
  admin?: boolean;
  superuser?: boolean;
  active?: boolean;
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
}

/** A user whose stored password needs attention: not a hash at all, or fewer iterations than required. */
export interface PasswordProblem {
  id: number;
  username: string;
  problem: "malformed" | "weak";
  /** The stored iteration count, for `weak`. */
  iterations?: number;
}

/** A user's identity: the id (number) or the username (string), as in Piccolo. */
export type UserRef = number | string;

export interface UserLogger {
  warn(message: string): void;
}

const CAMEL_COLUMNS: Record<string, PublicColumn> = {
  firstName: "first_name",
  lastName: "last_name",
  lastLogin: "last_login",
};

/** The table `piccolo_api` keeps logins in: a password change ends them all. */
const SESSIONS_TABLE = "sessions";

/**
 * Piccolo's `BaseUser`: create, authenticate and manage the users in `piccolo_user`.
 *
 * Every method is static, and reads its settings from `this`, so a subclass customises them:
 * `class AppUser extends BaseUser { static minPasswordLength = 10 }`.
 */
export class BaseUser {
  static tableName = "piccolo_user";
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

  static async createUser(input: CreateUserInput): Promise<User> {
    if (typeof input !== "object" || input === null) {
      throw new ValidationError("createUser takes { username, password, … }.");
    }
    validateUsername(input.username, this);
    validatePassword(input.password, this);
    const email = validateEmail(input.email);
    const firstName = validateName(input.firstName, "first_name");
    const lastName = validateName(input.lastName, "last_name");
    const active = validateFlag(input.active, "active") ?? false;
    const admin = validateFlag(input.admin, "admin") ?? false;
    const superuser = validateFlag(input.superuser, "superuser") ?? false;
    const { username, password } = input;

    const db = await this.getDatabase();
    return this.run(db, async () => {
      // Fail before paying for a hash; the unique constraints still decide races.
      await this.assertAvailable(db, username, email);
      const values = {
        username,
        password: await hashPassword(password, this.iterations),
        email,
        active: booleanToDatabase(db.engine, active),
        admin: booleanToDatabase(db.engine, admin),
        superuser: booleanToDatabase(db.engine, superuser),
        first_name: firstName,
        last_name: lastName,
      };
      let id: number;
      try {
        const insert = db.kysely.insertInto(this.tableName).values(values);
        id =
          db.engine === "mysql"
            ? Number((await insert.executeTakeFirstOrThrow()).insertId)
            : Number((await insert.returning("id").executeTakeFirstOrThrow()).id);
      } catch (error) {
        const column = uniqueViolationColumn(error);
        if (column === "username" || column === "email") throw this.existsError(column, username, email);
        throw error;
      }
      return { id, username, email, firstName, lastName, active, admin, superuser, lastLogin: null };
    });
  }

  /**
   * The user's id when the password is right, else null. Costs one password hash whether or not the
   * username exists; sets `last_login` and upgrades a hash made with another iteration count.
   * Inactive users authenticate too, as in Piccolo: the active/admin gates belong to the session layer.
   */
  static async login(credentials: LoginCredentials): Promise<number | null>;
  static async login(username: string, password: string): Promise<number | null>;
  static async login(usernameOrCredentials: string | LoginCredentials, maybePassword?: string): Promise<number | null> {
    const [username, password] =
      typeof usernameOrCredentials === "object" && usernameOrCredentials !== null
        ? [usernameOrCredentials.username, usernameOrCredentials.password]
        : [usernameOrCredentials, maybePassword];
    if (typeof username !== "string" || typeof password !== "string") return null;
    if (exceedsLength(username, this.maxUsernameLength)) {
      this.logger.warn("Excessively long username provided.");
      return null;
    }
    if (exceedsLength(password, this.maxPasswordLength)) {
      this.logger.warn("Excessively long password provided.");
      return null;
    }
    // No stored user can have these (see validation.ts): answering without a query says nothing about real users.
    if (password.includes("\0") || !isComparableText(username)) return null;

    const db = await this.getDatabase();
    return this.run(db, async () => {
      const row = await db.kysely
        .selectFrom(this.tableName)
        .select(["id", "username", "password"])
        .where("username", "=", username)
        .executeTakeFirst();
      // MySQL's comparison ignores trailing spaces: only an exact match is this user.
      const user = row && row.username === username ? row : undefined;
      const parsed = user ? parseStoredHash(user.password) : null;
      if (user && !parsed) {
        this.logger.warn(`User ${Number(user.id)} has a stored password that is not a valid hash; login refused.`);
      }
      if (!user || !parsed || !(await verifyPassword(password, user.password, this.iterations))) {
        if (!parsed) await burnOneHash(password, this.iterations);
        await this.touchNobody(db);
        return null;
      }
      await this.recordLogin(db, Number(user.id), user.password, password, parsed.iterations);
      return Number(user.id);
    });
  }

  /** Sets a new password for a user given by id or username; `UserNotFoundError` when there is none. */
  static async updatePassword(user: UserRef, password: string): Promise<void> {
    const ref = validateUserRef(user);
    validatePassword(password, this);
    const db = await this.getDatabase();
    await this.run(db, async () => {
      const row = await this.findRow(db, ref, ["id"]);
      if (!row) throw new UserNotFoundError(ref);
      const id = Number(row.id);
      const hash = await hashPassword(password, this.iterations);
      const result = await db.kysely
        .updateTable(this.tableName)
        .set({ password: hash })
        .where("id", "=", id)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new UserNotFoundError(ref);
      await this.endSessions(db, id);
    });
  }

  /** Sets any of `admin`, `superuser`, `active`; returns the user as stored afterwards. */
  static async changePermissions(user: UserRef, permissions: Permissions): Promise<User> {
    const ref = validateUserRef(user);
    const changes: Record<string, boolean> = {};
    for (const flag of ["admin", "superuser", "active"] as const) {
      const value = validateFlag(permissions?.[flag], flag);
      if (value !== undefined) changes[flag] = value;
    }
    const db = await this.getDatabase();
    return this.run(db, async () => {
      const row = await this.findRow(db, ref, ["id"]);
      if (!row) throw new UserNotFoundError(ref);
      const id = Number(row.id);
      if (Object.keys(changes).length > 0) {
        const stored = Object.fromEntries(
          Object.entries(changes).map(([flag, value]) => [flag, booleanToDatabase(db.engine, value)]),
        );
        await db.kysely.updateTable(this.tableName).set(stored).where("id", "=", id).execute();
      }
      const updated = await this.findRow(db, id, PUBLIC_COLUMNS);
      if (!updated) throw new UserNotFoundError(ref);
      return userFromRow(updated);
    });
  }

  /** A page of users, never with their passwords. Piccolo's rules: limit and page > 0, any column but password. */
  static async listUsers(options?: ListUsersOptions | null): Promise<User[]> {
    const { column, descending } = parseOrderBy(options?.orderBy ?? "username");
    const pageNumber = options?.page ?? 1;
    const limit = options?.limit ?? 20;
    if (!Number.isSafeInteger(pageNumber) || pageNumber < 1) throw new ValidationError("The page number must > 0.", "page");
    if (!Number.isSafeInteger(limit) || limit < 1) throw new ValidationError("The limit number must be > 0.", "limit");
    if (!Number.isSafeInteger((pageNumber - 1) * limit)) throw new ValidationError("The page number is too large.", "page");
    const search = validateSearch(options?.search);
    const db = await this.getDatabase();
    const direction = descending ? "desc" : "asc";
    const offset = (pageNumber - 1) * limit;
    const table = this.tableName;
    return this.run(db, async () => {
      if (UNIQUE_COLUMNS.includes(column)) {
        // A deep page skips `offset` rows. Skipping them in a subquery that reads only the (indexed,
        // unique) sort key walks that index alone; then only the page's rows are fetched by key.
        // CROSS JOIN with the page first: SQLite keeps that join order (otherwise it scans the whole
        // table); PostgreSQL and MySQL plan it as the inner join it is.
        let keys = db.kysely.selectFrom(table).select(sql.ref(column).as("page_key"));
        if (search) keys = keys.where(searchFilter(search));
        const rows = await db.kysely
          .selectFrom(keys.orderBy(column, direction).limit(limit).offset(offset).as("page"))
          .crossJoin(table)
          .select(PUBLIC_COLUMNS.map((name) => `${table}.${name}`))
          .whereRef(`${table}.${column}`, "=", "page.page_key")
          .orderBy(`${table}.${column}`, direction)
          .execute();
        return rows.map(userFromRow);
      }
      // No index to walk: the engine sorts either way. The id breaks ties so pages never overlap.
      let query = db.kysely.selectFrom(table).select([...PUBLIC_COLUMNS]);
      if (search) query = query.where(searchFilter(search));
      query = query.orderBy(column, direction).orderBy("id", direction).limit(limit).offset(offset);
      const rows = await query.execute();
      return rows.map(userFromRow);
    });
  }

  static async countUsers(options?: { search?: string } | null): Promise<number> {
    const search = validateSearch(options?.search);
    const db = await this.getDatabase();
    return this.run(db, async () => {
      let query = db.kysely.selectFrom(this.tableName).select((eb) => eb.fn.countAll().as("count"));
      if (search) query = query.where(searchFilter(search));
      const row = await query.executeTakeFirstOrThrow();
      return Number(row.count);
    });
  }

  /** The user with this id or username, or null. */
  static async getUser(user: UserRef): Promise<User | null> {
    const ref = validateUserRef(user);
    const db = await this.getDatabase();
    return this.run(db, async () => {
      const row = await this.findRow(db, ref, PUBLIC_COLUMNS);
      return row ? userFromRow(row) : null;
    });
  }

  /**
   * Finds stored passwords that are not well-formed hashes (a bulk update wrote plaintext, a value was
   * truncated, another format) or use fewer iterations than this class. Reports ids and usernames,
   * never the stored values. Reads the table in id order, in batches, so it runs on any size.
   */
  static async checkPasswords(options?: { batchSize?: number } | null): Promise<PasswordProblem[]> {
    const batchSize = options?.batchSize ?? 1000;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new ValidationError("The batch size must be a whole number > 0.", "batchSize");
    }
    const db = await this.getDatabase();
    return this.run(db, async () => {
      const problems: PasswordProblem[] = [];
      let lastId: number | undefined;
      for (;;) {
        let query = db.kysely.selectFrom(this.tableName).select(["id", "username", "password"]);
        if (lastId !== undefined) query = query.where("id", ">", lastId);
        const rows = await query.orderBy("id").limit(batchSize).execute();
        for (const row of rows) {
          const parsed = parseStoredHash(row.password);
          const base = { id: Number(row.id), username: String(row.username) };
          if (!parsed) problems.push({ ...base, problem: "malformed" });
          else if (parsed.iterations < this.iterations) {
            problems.push({ ...base, problem: "weak", iterations: parsed.iterations });
          }
        }
        if (rows.length < batchSize) return problems;
        lastId = Number(rows[rows.length - 1]!.id);
      }
    });
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

  protected static async run<T>(db: Database, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translateDatabaseError(error, db.target);
    }
  }

  protected static async findRow(
    db: Database,
    ref: UserRef,
    columns: readonly string[],
  ): Promise<Record<string, unknown> | undefined> {
    if (typeof ref === "number" ? !isStorableId(ref) : !isComparableText(ref)) return undefined;
    const key = typeof ref === "number" ? "id" : "username";
    const select = columns.includes("username") ? columns : [...columns, "username"];
    const row = (await db.kysely
      .selectFrom(this.tableName)
      .select(select as string[])
      .where(key, "=", ref)
      .executeTakeFirst()) as Record<string, unknown> | undefined;
    if (row && typeof ref === "string" && row.username !== ref) return undefined;
    return row;
  }

  protected static async assertAvailable(db: Database, username: string, email: string): Promise<void> {
    const rows = await db.kysely
      .selectFrom(this.tableName)
      .select(["username", "email"])
      .where((eb) => eb.or([eb("username", "=", username), eb("email", "=", email)]))
      .limit(2)
      .execute();
    if (rows.some((row) => row.username === username)) throw this.existsError("username", username, email);
    if (rows.some((row) => row.email === email)) throw this.existsError("email", username, email);
  }

  protected static existsError(field: "username" | "email", username: string, email: string): UserExistsError {
    if (field === "username") return new UserExistsError("username", `The username "${username}" is already taken.`);
    if (email === "") {
      return new UserExistsError(
        "email",
        "Another user already has no email address, and emails must be unique: give this user an email.",
      );
    }
    return new UserExistsError("email", `The email "${email}" is already taken.`);
  }

  /** The database work of a successful login, done for a failed one too, so timing tells nothing. */
  protected static async touchNobody(db: Database): Promise<void> {
    await db.kysely.updateTable(this.tableName).set({ last_login: nowTimestamp() }).where("id", "=", -1).execute();
  }

  protected static async recordLogin(
    db: Database,
    id: number,
    storedHash: string,
    password: string,
    storedIterations: number,
  ): Promise<void> {
    const lastLogin = nowTimestamp();
    if (storedIterations !== this.iterations) {
      const upgraded = await hashPassword(password, this.iterations);
      // Only replace the hash that was verified: a password changed meanwhile must win.
      const result = await db.kysely
        .updateTable(this.tableName)
        .set({ last_login: lastLogin, password: upgraded })
        .where("id", "=", id)
        .where("password", "=", storedHash)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) return;
    }
    await db.kysely.updateTable(this.tableName).set({ last_login: lastLogin }).where("id", "=", id).execute();
  }

  /** A changed password must end the user's logins; the sessions table exists only once session_auth ran. */
  protected static async endSessions(db: Database, userId: number): Promise<void> {
    try {
      await db.kysely.deleteFrom(SESSIONS_TABLE).where("user_id", "=", userId).execute();
    } catch (error) {
      if (missingTableName(error) === null) throw error;
    }
  }
}

/** The listable columns whose values the schema keeps unique (email is NOT NULL, default ''). */
const UNIQUE_COLUMNS: readonly PublicColumn[] = ["id", "username", "email"];

function parseOrderBy(orderBy: unknown): { column: PublicColumn; descending: boolean } {
  const text = typeof orderBy === "string" ? orderBy : "";
  const descending = text.startsWith("-");
  const name = descending ? text.slice(1) : text;
  const column = CAMEL_COLUMNS[name] ?? name;
  if (!(PUBLIC_COLUMNS as readonly string[]).includes(column)) {
    throw new ValidationError(
      `The order_by argument must be one of the following: ${PUBLIC_COLUMNS.join(", ")}`,
      "order_by",
    );
  }
  return { column: column as PublicColumn, descending };
}

/**
 * `lower(column) LIKE lower(%search%)` over the text columns. The database lowers both sides, so they
 * always agree (SQLite's lower() only knows ASCII; JavaScript's would turn "İ" into two characters).
 * LIKE's wildcards are escaped with `!`, which means the same on every engine.
 */
function searchFilter(search: string) {
  const pattern = `%${search.replace(/[!%_]/g, (c) => `!${c}`)}%`;
  return (eb: ExpressionBuilder<any, any>): Expression<SqlBool> =>
    eb.or(
      ["username", "email", "first_name", "last_name"].map(
        (column) => sql<SqlBool>`lower(${sql.ref(column)}) like lower(${pattern}) escape '!'`,
      ),
    );
}
