// What the `user …` commands share: where a password comes from, the login-name default, and the
// warning about the user app's migrations. Loaded only by those commands.
import { userInfo } from "node:os";
import { CliError, UsageError, addSecret, note, warn } from "./output.js";
import { requireExistingDatabase } from "./database-check.js";
import { PipedAnswerRefusedError, type Prompter } from "./prompts.js";

/** The OS login name, Piccolo's default username; undefined when the system cannot tell. */
export function loginName(): string | undefined {
  try {
    const name = userInfo().username;
    return name ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A password given without a prompt: `--password`, else `--password-stdin` (the first line of standard
 * input), else `PICCOLO_USER_PASSWORD`. Undefined when none is given (the caller asks for it).
 */
export async function givenPassword(
  options: Record<string, unknown>,
  ask: Prompter,
  command: string,
): Promise<string | undefined> {
  const flag = options.password as string | undefined;
  const fromStdin = options.password_stdin === true;
  if (flag !== undefined && fromStdin) {
    throw new UsageError("--password and --password-stdin were both given.", "Give the password one way only.");
  }
  if (flag !== undefined) {
    addSecret(flag);
    return flag;
  }
  if (fromStdin) {
    if (process.stdin.isTTY) {
      throw new UsageError(
        "--password-stdin reads the password from a pipe, but standard input is a terminal.",
        `Pipe it in (printf '%s\\n' "$PASSWORD" | piccolo ${command} --password-stdin …), or leave the flag out to be asked with the typing hidden.`,
      );
    }
    const line = await ask.readStdinLine();
    if (line === null) {
      throw new CliError("--password-stdin was given, but standard input is empty.", {
        code: "INPUT_ENDED",
        hint: "Pipe the password in as the first line of standard input.",
      });
    }
    addSecret(line);
    return line;
  }
  const fromEnv = process.env.PICCOLO_USER_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== "") {
    addSecret(fromEnv);
    return fromEnv;
  }
  return undefined;
}

/** A refused answer (a rule, a taken name, mismatched passwords): its message is the reason to show. */
function isRefusal(error: unknown): error is Error {
  if (error instanceof CliError) return error.code === "PASSWORD_MISMATCH";
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && (code === "VALIDATION" || code === "USER_EXISTS");
}

/**
 * Asks until `check` accepts the answer. On a terminal a refused answer prints the reason and the same
 * question comes again. From a pipe the first refusal ends the command: re-asking would shift every later
 * line into the wrong question (a password read as an email address).
 */
export async function askUntilAccepted<T>(
  ask: Prompter,
  question: () => Promise<string>,
  check: (answer: string) => T | Promise<T>,
  questionText = "the question",
): Promise<T> {
  for (;;) {
    const answer = await question();
    try {
      return await check(answer);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      if (!ask.interactive) {
        if (error instanceof PipedAnswerRefusedError) throw error;
        throw new PipedAnswerRefusedError(questionText, error.message);
      }
      note(error.message);
    }
  }
}

/**
 * Asks for a new password twice (hidden on a terminal): a password that breaks the rules is asked for
 * again at once, and a confirmation that does not match starts both questions over.
 */
export async function askNewPassword(ask: Prompter, validate: (password: string) => void, username?: string): Promise<string> {
  // Changing a password names whose it is, so the typing goes to the right account.
  const whose = username === undefined ? "" : ` for ${username}`;
  const passwordQuestion = async () => {
    const password = await ask.password(`Enter password${whose}:`);
    addSecret(password);
    return password;
  };
  return askUntilAccepted(
    ask,
    () => askUntilAccepted(ask, passwordQuestion, (password) => (validate(password), password), `Enter password${whose}:`),
    async (password) => {
      const confirmation = await ask.password(`Confirm password${whose}:`);
      if (confirmation !== password) {
        throw new CliError("Passwords don't match!", {
          code: "PASSWORD_MISMATCH",
          hint: "Type the same password twice.",
        });
      }
      return password;
    },
    `Confirm password${whose}:`,
  );
}

/**
 * Warns on stderr when some migrations of the `user` app have not run (as Piccolo does for every
 * command but the migration ones). Also the first contact with the database: an unreachable server
 * fails here, before any question is asked, and so does a SQLite file that does not exist (never created
 * here). Then sets the case-insensitive username mode from the database. No warning when the table itself
 * is missing (the command's failure says what to run) or with `warn: false` (the caller checks itself).
 */
export async function warnIfUserMigrationsPending(database: string | undefined, options: { warn?: boolean } = {}): Promise<void> {
  await requireExistingDatabase(database);
  const [{ pendingMigrationIds }, { userApp }, { userCaseInsensitiveApp }, { useDatabase }, { BaseUser }] = await Promise.all([
    import("../migrations/pending.js"),
    import("../user/migrations/index.js"),
    import("../user/migrations/case-insensitive/index.js"),
    import("../engine/connect.js"),
    import("../user/base-user.js"),
  ]);
  const pendingByApp = await pendingMigrationIds(await useDatabase(database), [userApp, userCaseInsensitiveApp]);
  // Once the opt-in app has run, its unique index treats `Bob` and `bob` as one: the commands follow it
  // (find `bob` by `BOB`, fill username_folded on the rows they write).
  BaseUser.caseInsensitiveUsernames = pendingByApp.get(userCaseInsensitiveApp.name)!.length === 0;
  const pending = pendingByApp.get(userApp.name)!;
  // Without the table (its first migration pending) the command fails saying what to run: not twice.
  if (pending.length === 0 || options.warn === false || pending.includes(userApp.migrations[0]!.id)) return;
  const count = pending.length === 1 ? "1 migration" : `${pending.length} migrations`;
  warn(`${count} of the app user ${pending.length === 1 ? "has" : "have"} not run; run "piccolo migrations forwards user".`);
}
