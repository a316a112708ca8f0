// The table of error codes, apart from the classes that carry them (src/errors.ts re-exports it).
/**
 * Every code a {@link PiccoloError} can carry, with the message it has when the thrower knows no more.
 * A program branches on the code (`error.code === "USER_EXISTS"`), never on the message; the CLI's `--json`
 * prints the code too. Adding a code here is the one way to add one: `PiccoloError.code` is typed by this
 * table.
 */
export const PICCOLO_ERROR_CODES = {
  VALIDATION: "The input breaks a rule.",
  USER_EXISTS: "A user with this username already exists.",
  USER_NOT_FOUND: "No user has this id or username.",
  CONFIG: "An option or the configuration is invalid.",
  DB_UNREACHABLE: "Cannot connect to the database.",
  TABLE_MISSING: "A table piccolo-ts needs does not exist: run its migrations first.",
  DB_ERROR: "The database could not do this.",
  MIGRATION: "A migration cannot run or be reversed.",
  LAST_SUPERUSER: "This would leave no active admin superuser: make another user an active admin superuser first.",
  BUSY: "The server is busy hashing passwords: try again shortly.",
  HASH_FAILED: "Password hashing failed.",
  MFA: "Two-factor authentication cannot do this.",
  STORE_UNAVAILABLE: "The session storage did not answer: try again shortly.",
  UNKNOWN: "An unexpected failure in a worker thread.",
  // The `piccolo` command's own failures (CliError), printed by its --json.
  USAGE: "The command line is wrong.",
  FAILED: "The command failed.",
  CANCELLED: "Cancelled.",
  INPUT_ENDED: "Standard input ended before every question was answered.",
  ANSWER_REFUSED: "A piped answer was refused, and nothing was changed.",
  PASSWORD_MISMATCH: "Passwords don't match!",
  NO_DATABASE: "The database does not exist.",
  FILE_UNREADABLE: "The file cannot be read.",
  IMPORT_INVALID: "Some rows cannot be imported; nothing was written.",
  PORT_IN_USE: "The port is already in use.",
  BAD_HOST: "Cannot listen on that host: no such local address.",
  MFA_NOT_CONFIRMED: "Three wrong codes: two-factor authentication stays off.",
} as const satisfies Record<string, string>;

/** The stable, machine-readable name of a failure: one key of {@link PICCOLO_ERROR_CODES}. */
export type PiccoloErrorCode = keyof typeof PICCOLO_ERROR_CODES;
