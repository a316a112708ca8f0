/**
 * Every failure piccolo-ts reports on purpose is one of these classes. Messages never contain a
 * password, a password hash or a database password, so they are safe to show and to log.
 */
export class PiccoloError extends Error {
  /** A stable, machine-readable name for the failure (also printed by the CLI's `--json`). */
  readonly code: string;

  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Input that breaks a rule: empty username, short password, a hash passed as a password, … */
export class ValidationError extends PiccoloError {
  readonly field: string | undefined;

  constructor(message: string, field?: string) {
    super(message, "VALIDATION");
    this.field = field;
  }
}

/** A username or email that another user already has. */
export class UserExistsError extends PiccoloError {
  readonly field: "username" | "email";

  constructor(field: "username" | "email", message?: string) {
    super(message ?? `A user with this ${field} already exists.`, "USER_EXISTS");
    this.field = field;
  }
}

export class UserNotFoundError extends PiccoloError {
  constructor(user: string | number) {
    super(
      typeof user === "number" ? `No user has the id ${user}.` : `User ${user} doesn't exist!`,
      "USER_NOT_FOUND",
    );
  }
}

/** The database URL or the piccolo.config file cannot be understood, or a database driver cannot load. */
export class ConfigError extends PiccoloError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "CONFIG", options);
  }
}

/** The database server cannot be reached. `url` has its password masked. */
export class DatabaseConnectionError extends PiccoloError {
  readonly url: string;

  constructor(url: string, detail: string, options?: { cause?: unknown }) {
    super(`Cannot connect to the database at ${url}: ${detail}`, "DB_UNREACHABLE", options);
    this.url = url;
  }
}

/** A table that piccolo-ts needs is not there yet. */
export class TableMissingError extends PiccoloError {
  readonly table: string;

  constructor(table: string, app = "user", options?: { cause?: unknown }) {
    super(
      `The table ${table} does not exist: run \`piccolo migrations forwards ${app}\` first.`,
      "TABLE_MISSING",
      options,
    );
    this.table = table;
  }
}

/** Any other database failure, with the driver's message kept out of `message` (it may quote values). */
export class DatabaseError extends PiccoloError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "DB_ERROR", options);
  }
}

/**
 * The change would leave no active admin superuser, so nobody could manage users in the admin any more.
 */
export class LastSuperuserError extends PiccoloError {
  constructor(message = "This would leave no active admin superuser: make another user an active admin superuser first.") {
    super(message, "LAST_SUPERUSER");
  }
}

export class MigrationError extends PiccoloError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "MIGRATION", options);
  }
}
