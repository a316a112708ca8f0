// `piccolo user check`: finds the users whose stored password is not a well-formed Piccolo hash (a bulk
// update wrote plaintext, a value was truncated, another algorithm) or was made with fewer PBKDF2
// iterations than required. Prints id, username and the problem (never the stored value) as a table or
// `--json`, and exits 1 when any is found, 0 when every stored password is fine. Hashes imported from
// another system (`piccolo user import`) are listed as such but are no failure (exit 0; --strict makes
// them one): each is replaced at the user's next login.
// It also lists usernames that differ only in case, which the opt-in user_case_insensitive migration
// refuses to run over (they count as problems once that migration has run).
import { UsageError, formatTable, print, printJson } from "../output.js";
import type { CommandInput } from "../types.js";
import { warnIfUserMigrationsPending } from "../users.js";

/** Exit code when the scan found users to fix (the scan itself worked). */
export const EXIT_PROBLEMS_FOUND = 1;

export async function run(input: CommandInput): Promise<number> {
  const { BaseUser } = await import("../../user/base-user.js");
  const wanted = input.options.iterations as number | undefined;
  if (wanted !== undefined && (!Number.isSafeInteger(wanted) || wanted < 1)) {
    throw new UsageError("The iterations must be > 0.", "For example --iterations=600000.");
  }
  class Checked extends BaseUser {
    static override iterations = wanted ?? BaseUser.iterations;
  }
  Checked.database = input.db;

  await warnIfUserMigrationsPending(input.db);
  const problems = await Checked.checkPasswords();
  const required = Checked.iterations;
  const { scanUsernameCollisions, collisionMessage } = await import("../../user/migrations/case-insensitive/index.js");
  const caseCollisions = await scanUsernameCollisions((await Checked.getDatabase()).kysely, Checked.tableName);
  const collisionsAreProblems = caseCollisions.length > 0 && Checked.caseInsensitiveUsernames;
  const malformed = problems.filter((problem) => problem.problem === "malformed").length;
  const legacy = problems.filter((problem) => problem.problem === "legacy").length;
  const weak = problems.length - malformed - legacy;
  // An imported hash is expected right after `user import` and fixes itself at the next login: not a
  // failure, unless --strict asks for every stored password to be a Piccolo hash already.
  const strict = input.options.strict === true;
  const found = malformed > 0 || weak > 0 || (strict && legacy > 0) || collisionsAreProblems;

  if (input.json) {
    printJson({ iterations: required, problems, caseCollisions });
    return found ? EXIT_PROBLEMS_FOUND : 0;
  }
  if (caseCollisions.length > 0) {
    print(`Usernames equal when case is ignored: ${collisionMessage(caseCollisions)}`);
    print();
  }
  if (problems.length === 0) {
    const count = await Checked.countUsers();
    print(
      `No problems: ${count === 1 ? "the 1 stored password is a" : `all ${count} stored passwords are`} ` +
        `well-formed hash${count === 1 ? "" : "es"} with at least ${required} iterations.`,
    );
  } else {
    const rows = problems.map((problem) => [
      String(problem.id),
      problem.username,
      problem.problem,
      problem.problem === "weak"
        ? `${problem.iterations} iterations, fewer than ${required}: upgraded at the user's next login`
        : problem.problem === "legacy"
          ? `${problem.format} hash (imported): will be upgraded on next login`
          : "not a pbkdf2_sha256 hash: this user cannot log in; set a new password",
    ]);
    print(await formatTable(["id", "username", "problem", "detail"], rows));
    if (malformed + weak === 0) {
      print(
        `${legacy === 1 ? "1 user has a hash" : `${legacy} users have hashes`} imported from another system: ` +
          `each is replaced by a Piccolo hash at that user's next login, so there is nothing to fix` +
          `${strict ? " (but --strict counts them as problems)" : " (--strict counts them as problems)"}.`,
      );
    } else {
      print(
        `${problems.length === 1 ? "1 user needs" : `${problems.length} users need`} attention ` +
          `(${malformed} malformed, ${weak} weak, ${legacy} imported). Fix a malformed one with "piccolo user change_password <username>".`,
      );
    }
  }
  return found ? EXIT_PROBLEMS_FOUND : 0;
}
