import { PICCOLO_ERROR_CODES, type PiccoloErrorCode } from "./error-codes.js";

export { PICCOLO_ERROR_CODES, type PiccoloErrorCode };

/**
 * Every failure piccolo-ts reports on purpose is one of these classes. Messages never contain a
 * password, a password hash or a database password, so they are safe to show and to log. Catch this
 * class to tell piccolo-ts's own failures from bugs, and branch on `code` rather than on the message.
 *
 * @example
 * ```ts
 * try {
 *   await BaseUser.createUser({ username: "bob", password: "bob-s3cret" });
 * } catch (error) {
 *   if (!(error instanceof PiccoloError)) throw error;
 *   console.error(`${error.code}: ${error.message}`); // e.g. "USER_EXISTS: A user with this username already exists."
 * }
 * ```
 */
export class PiccoloError extends Error {
  /** A stable, machine-readable name for the failure (also printed by the CLI's `--json`). */
  readonly code: PiccoloErrorCode;

  /** `message` undefined: the code's default message from {@link PICCOLO_ERROR_CODES}. */
  constructor(message: string | undefined, code: PiccoloErrorCode, options?: { cause?: unknown }) {
    super(message ?? PICCOLO_ERROR_CODES[code], options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Input that breaks a rule: empty username, short password, a hash passed as a password, … The message
 * is Piccolo's, fit to show to the person who typed the value.
 *
 * @example
 * ```ts
 * try {
 *   BaseUser.validatePassword("abc");
 * } catch (error) {
 *   if (error instanceof ValidationError) console.log(error.field, error.message); // "password" "The password is too short. (min 6)"
 * }
 * ```
 */
export class ValidationError extends PiccoloError {
  /**
   * The input that broke the rule (`"password"`, `"username"`, `"email"`, …), when there is one: to show the message beside that form field.
   */
  readonly field: string | undefined;

  constructor(message: string, field?: string) {
    super(message, "VALIDATION");
    this.field = field;
  }
}

/**
 * A username or email that another user already has (`createUser`, `updateProfile`, `importUsers`).
 *
 * @example
 * ```ts
 * try {
 *   await BaseUser.createUser({ username: "carol", password: "an0ther-one", email: "carol@example.com" });
 * } catch (error) {
 *   if (!(error instanceof UserExistsError)) throw error;
 *   console.log(`That ${error.field} is taken.`); // field: "username" or "email"
 * }
 * ```
 */
export class UserExistsError extends PiccoloError {
  /** Which value is taken, so a form can show the message beside that field. */
  readonly field: "username" | "email";

  constructor(field: "username" | "email", message?: string) {
    super(message ?? `A user with this ${field} already exists.`, "USER_EXISTS");
    this.field = field;
  }
}

/**
 * No user has the id or username given to a method that changes a user (`updatePassword`,
 * `changePermissions`, `deleteUser`, `updateProfile`). `getUser` answers null instead of throwing.
 *
 * @example
 * ```ts
 * try {
 *   await BaseUser.updatePassword("nobody", "n3w-secret");
 * } catch (error) {
 *   if (error instanceof UserNotFoundError) console.log(error.message); // "User nobody doesn't exist!"
 * }
 * ```
 */
export class UserNotFoundError extends PiccoloError {
  constructor(user: string | number) {
    super(
      typeof user === "number" ? `No user has the id ${user}.` : `User ${user} doesn't exist!`,
      "USER_NOT_FOUND",
    );
  }
}

/**
 * A bad option (of `createSessionAuth`, `createAdminApp`, a store, `LoginRateLimiter`, `ApiTokens`,
 * `MfaAuthenticator`, `configureHashing`, …), thrown when the option is given rather than at the first
 * request; or a database URL or piccolo.config file that cannot be understood, or a driver that cannot
 * load. Fix the configuration: retrying will not help.
 *
 * @example
 * ```ts
 * try {
 *   parseDatabaseUrl("redis://localhost");
 * } catch (error) {
 *   if (error instanceof ConfigError) console.log(error.message); // Unsupported database URL scheme "redis:" …
 * }
 * ```
 */
export class ConfigError extends PiccoloError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "CONFIG", options);
  }
}

/**
 * The database server cannot be reached, or refused the connection. `url` has its password masked, so
 * the error is safe to log.
 *
 * @example
 * ```ts
 * try {
 *   await BaseUser.listUsers();
 * } catch (error) {
 *   if (error instanceof DatabaseConnectionError) console.error(`Database down: ${error.url}`);
 *   else throw error;
 * }
 * ```
 */
export class DatabaseConnectionError extends PiccoloError {
  /** The database URL with its password replaced by `***`. */
  readonly url: string;

  constructor(url: string, detail: string, options?: { cause?: unknown }) {
    // A driver's detail rarely ends its sentence ("(connection refused)"): the message always does.
    const sentence = /[.!?]["')\]]*$/.test(detail) ? detail : `${detail}.`;
    super(`Cannot connect to the database at ${url}: ${sentence}`, "DB_UNREACHABLE", options);
    this.url = url;
  }
}

/** Why a connection failed, when the driver's error says. */
export type ConnectionCause =
  | "database-missing"
  | "authentication-failed"
  | "access-denied"
  | "sqlite-cannot-open"
  | "unreachable";

/** A connection failure whose cause is known: `cause` says which, `advice` what to do about it. */
export class NamedConnectionError extends DatabaseConnectionError {
  constructor(
    url: string,
    detail: string,
    /** The cause, as a name a program can compare. */
    readonly reason: ConnectionCause,
    /** What to do next, one sentence (the CLI prints it after the message). */
    readonly advice: string,
    options?: { cause?: unknown },
  ) {
    super(url, detail, options);
  }

  /** True when a server (or the SQLite library) answered: starting a server would not help. */
  get serverAnswered(): boolean {
    return this.reason !== "unreachable";
  }
}

/**
 * A table that piccolo-ts needs is not there yet: its message says which migration app to run.
 *
 * @example
 * ```ts
 * try {
 *   await BaseUser.countUsers();
 * } catch (error) {
 *   if (!(error instanceof TableMissingError)) throw error;
 *   await migrateForwards("user"); // then try again
 * }
 * ```
 */
export class TableMissingError extends PiccoloError {
  /** The missing table's name. */
  readonly table: string;

  /** Where it was looked for: the SQLite file or the server URL with its password masked (when known). */
  readonly database: string | undefined;

  constructor(table: string, app = "user", options?: { cause?: unknown; database?: string }) {
    const where = options?.database ? ` in ${options.database}` : "";
    super(
      `The table ${table} does not exist${where}: run \`piccolo migrations forwards ${app}\` first.`,
      "TABLE_MISSING",
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.table = table;
    this.database = options?.database;
  }
}

/**
 * Any other database failure. The driver's message is kept out of `message` (it may quote values, such
 * as a hash); the driver's error is in `cause` for debugging.
 *
 * @example
 * ```ts
 * try {
 *   await BaseUser.getUser("bob");
 * } catch (error) {
 *   if (error instanceof DatabaseError) console.error(error.message); // `error.cause` holds the driver's error: it may quote values
 * }
 * ```
 */
export class DatabaseError extends PiccoloError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "DB_ERROR", options);
  }
}

/**
 * The change would leave no active admin superuser, so nobody could manage users in the admin any more.
 * Thrown only when the call asked for that guard (`keepOneAdminSuperuser`).
 *
 * @example
 * ```ts
 * try {
 *   await BaseUser.changePermissions("admin", { superuser: false }, { keepOneAdminSuperuser: true });
 * } catch (error) {
 *   if (error instanceof LastSuperuserError) console.log(error.message);
 * }
 * ```
 */
export class LastSuperuserError extends PiccoloError {
  constructor(message?: string) {
    super(message, "LAST_SUPERUSER");
  }
}

/**
 * A migration cannot run or be reversed: an unknown app or migration ID, or a step that failed (the
 * message says whether its changes were rolled back; the driver's error is in `cause`).
 *
 * @example
 * ```ts
 * try {
 *   await migrateForwards("blog");
 * } catch (error) {
 *   if (error instanceof MigrationError) console.error(error.message); // Unknown app "blog": the apps are user, …
 * }
 * ```
 */
export class MigrationError extends PiccoloError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "MIGRATION", options);
  }
}

/**
 * Too many password hashes are already waiting: try again after `retryAfterSeconds` (HTTP 503 +
 * Retry-After). Refusing at once keeps a flood of logins from piling up latency and memory.
 *
 * @example
 * ```ts
 * let answer: Response;
 * try {
 *   answer = (await BaseUser.login("bob", "bob-s3cret")) === null ? new Response("No", { status: 401 }) : new Response("Hi");
 * } catch (error) {
 *   if (!(error instanceof BusyError)) throw error;
 *   answer = new Response("Busy", { status: 503, headers: { "Retry-After": String(error.retryAfterSeconds) } });
 * }
 * ```
 */
export class BusyError extends PiccoloError {
  /** A fair wait before trying again, estimated from the queue and the time a hash takes. */
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super(`The server is busy hashing passwords: try again in ${retryAfterSeconds} s.`, "BUSY");
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Two-factor authentication cannot do what was asked: a stored secret that the configured key cannot
 * decrypt (wrong key, or another provider: rekey), no enrollment to confirm or revoke, an enrollment that
 * expired. Never contains a secret or a code.
 *
 * @example
 * ```ts
 * try {
 *   await mfa.revoke("bob");
 * } catch (error) {
 *   if (error instanceof MfaError) console.error(error.message); // "bob has no two-factor authentication to revoke."
 * }
 * ```
 */
export class MfaError extends PiccoloError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "MFA", options);
  }
}

/**
 * The session or rate-limit storage (Redis) did not answer in time, e.g. while a Redis Cluster primary
 * fails over to its replica: answer 503 with `Retry-After: retryAfterSeconds`. Nothing was let through
 * unchecked: a login whose attempt could not be counted is refused, a session that could not be read
 * is treated as this error, never as another user's. The client's error is in `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await store.lookup(token);
 * } catch (error) {
 *   if (error instanceof StoreUnavailableError) console.error(error.message, error.retryAfterSeconds);
 * }
 * ```
 */
export class StoreUnavailableError extends PiccoloError {
  /** A fair wait before trying again. */
  readonly retryAfterSeconds: number;

  constructor(url: string, retryAfterSeconds = 2, options?: { cause?: unknown }) {
    super(`The session storage at ${url} did not answer: try again in ${retryAfterSeconds} s.`, "STORE_UNAVAILABLE", options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

// ---- the `piccolo` command's own failures (src/cli/ throws them; the package does not export them) ----

/** A failure of the command itself (not of the library): carries its exit code and what to do next. */
export class CliError extends PiccoloError {
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: number; hint?: string; code?: PiccoloErrorCode } = {}) {
    const exitCode = options.exitCode ?? 1;
    super(message, options.code ?? (exitCode === 2 ? "USAGE" : "FAILED"));
    this.exitCode = exitCode;
    this.hint = options.hint;
  }
}

/** The command line itself is wrong: unknown command or option, bad flag value, missing argument. Exit 2. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, hint === undefined ? { exitCode: 2, code: "USAGE" } : { exitCode: 2, code: "USAGE", hint });
  }
}

/** The person pressed Ctrl-C (or Ctrl-D at a hidden prompt). */
export class CancelledError extends CliError {
  constructor() {
    super("Cancelled.", { exitCode: 130, code: "CANCELLED" });
  }
}

/**
 * A piped answer that its question refuses: asking again would read the next line, meant for the next
 * question, so the command ends (exit 2) before anything is written.
 */
export class PipedAnswerRefusedError extends CliError {
  constructor(question: string, reason: string) {
    super(`The piped answer to "${question.trim()}" was refused, and nothing was changed: ${reason}`, {
      exitCode: 2,
      code: "ANSWER_REFUSED",
      hint: "Piped answers are not asked again: fix that line (one answer per line, in the order asked), or give the value with its flag.",
    });
  }
}

export class InputEndedError extends CliError {
  constructor(question: string) {
    super(`Standard input ended before "${question.trim()}" was answered.`, {
      code: "INPUT_ENDED",
      hint: "Pipe one answer per line, or give the value with its flag.",
    });
  }
}
