// Bringing users over from another system with their stored password hashes (no hashing happens:
// each value is stored as given and replaced by a Piccolo hash at the user's first login).
// Every row is checked first — fields, hash format, duplicates in the file and against the table —
// and nothing is written unless all rows are good; then rows go in by batches, one transaction each.
import type { Database } from "../engine/connect.js";
import { runTranslated, uniqueViolationColumn } from "../engine/database-errors.js";
import { UserExistsError, ValidationError } from "../errors.js";
import { decodeImportFile, detectFormat, fieldOf, parseCsv, parseJsonLines, type ImportFormat, type ImportProblem, type RawRecord } from "./import-file.js";
import { isSupportedStoredPassword } from "../password/stored-password.js";
import type { User } from "./user-row.js";
import { FOLDED_USERNAME_COLUMN, foldUsername } from "./username-folding.js";
import { foldedUsernameValues } from "./username-lookup.js";
import { findCrossIdentifierConflicts } from "./import-identifiers.js";
import { booleanFromWord, validateEmail, validateName, validateUsername, type UserLimits } from "./validation.js";

export { detectFormat, type ImportFormat, type ImportProblem };

/** What the import needs from a BaseUser class (pass the class itself). */
export interface ImportTarget extends UserLimits {
  /** The user table to write to. */
  tableName: string;
  /** Whether names that differ only in case count as duplicates (and get `username_folded`). */
  caseInsensitiveUsernames: boolean;
  /** Whether logins take an email too: then no row's email may be another user's username, or the reverse. */
  loginWithEmail?: boolean;
  /** The database to write to. */
  getDatabase(): Promise<Database>;
}

/** Options of `importUsers`. */
export interface ImportOptions {
  /** Check everything, write nothing. */
  dryRun?: boolean;
  /** Rows per INSERT and per transaction (default 1000). */
  batchSize?: number;
  /** Called after each batch is committed (awaited when it returns a promise). */
  onProgress?: (imported: number, total: number) => void | Promise<void>;
}

/** What `importUsers` did: how many rows, how many written, and every problem found. */
export interface ImportResult {
  /** Data rows in the file. */
  total: number;
  /** Rows written (0 on a dry run or when any row has a problem). */
  imported: number;
  /** Whether this was a dry run (nothing written). */
  dryRun: boolean;
  /** Non-empty: nothing was written. */
  problems: ImportProblem[];
}

/** A validated row of the file: a user as stored, with the hash as given. */
interface ImportRow extends Omit<User, "id" | "lastLogin"> {
  line: number;
  password: string;
}

const DEFAULT_BATCH_SIZE = 1000;
/** Rows per lookup of existing usernames and emails. */
const LOOKUP_CHUNK = 500;

/**
 * Brings users over from another system (Django, better-auth, bcrypt apps) with their stored hashes,
 * so nobody has to reset a password: each is replaced by a Piccolo hash at the user's first login.
 * Checks every row, then (unless `dryRun` or a row is bad) inserts them all, by batches of one
 * transaction each. No hashing happens. Give the file's bytes to have them decoded as strict UTF-8 (a
 * file in another encoding is refused, naming its lines), or its text.
 *
 * @example
 * ```ts
 * const text = await readFile("users.csv"); // the bytes: username,password,email,…
 * const result = await importUsers(BaseUser, text, "csv", { dryRun: true });
 * for (const { line, reason } of result.problems) console.log(`line ${line}: ${reason}`);
 * if (result.problems.length === 0) await importUsers(BaseUser, text, "csv");
 * ```
 */
export async function importUsers(
  target: ImportTarget,
  text: string | Uint8Array,
  format: ImportFormat,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new ValidationError("The batch size must be a whole number > 0.", "batchSize");
  }
  const dryRun = options.dryRun ?? false;
  // Bytes (a file as read) are decoded as strict UTF-8; a file in another encoding is refused by line.
  const decoded = typeof text === "string" ? { text, problems: [] } : decodeImportFile(text);
  const parsed = format === "csv" ? parseCsv(decoded.text) : parseJsonLines(decoded.text);
  if (decoded.problems.length > 0) return { total: parsed.records.length, imported: 0, dryRun: options.dryRun ?? false, problems: decoded.problems };
  const problems: ImportProblem[] = [...parsed.problems];
  const rows: ImportRow[] = [];
  for (const record of parsed.records) {
    const row = checkRecord(record, target, problems);
    if (row) rows.push(row);
  }
  const total = parsed.records.length;
  findDuplicatesInFile(rows, target, problems);
  const db = await target.getDatabase();
  return runTranslated(db, async () => {
    await findConflictsInTable(db, target, rows, problems);
    await findCrossIdentifierConflicts(db, target, rows, problems);
    problems.sort((a, b) => a.line - b.line);
    if (problems.length > 0 || dryRun) return { total, imported: 0, dryRun, problems };

    let imported = 0;
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch = rows.slice(start, start + batchSize);
      const values = batch.map((row) => ({
        username: row.username,
        password: row.password,
        email: row.email,
        active: db.dialect.booleanToDatabase(row.active),
        admin: db.dialect.booleanToDatabase(row.admin),
        superuser: db.dialect.booleanToDatabase(row.superuser),
        first_name: row.firstName,
        last_name: row.lastName,
        ...foldedUsernameValues(target, row.username),
      }));
      try {
        await db.kysely.transaction().execute((trx) => trx.insertInto(target.tableName).values(values).execute());
      } catch (error) {
        const column = uniqueViolationColumn(error);
        if (column === null) throw error;
        // Checked a moment ago: another writer took a name meanwhile. Earlier batches stay imported.
        throw new UserExistsError(
          column === "email" ? "email" : "username",
          `${imported} of ${rows.length} users were imported; the batch of lines ${batch[0]!.line}-${batch.at(-1)!.line} was not: ` +
            `another writer took one of its ${column === "email" ? "emails" : "usernames"} meanwhile. ` +
            "Remove the imported rows from the file and run the import again.",
        );
      }
      imported += batch.length;
      await options.onProgress?.(imported, rows.length);
    }
    return { total, imported, dryRun, problems };
  });
}

// ---- checking rows ------------------------------------------------------------------------------------

function checkRecord(record: RawRecord, target: ImportTarget, problems: ImportProblem[]): ImportRow | null {
  const reasons: string[] = [];
  /** Runs one field's check; a failure is noted and the other fields are still checked. */
  const check = <T>(work: () => T, fallback: T): T => {
    try {
      return work();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const message = error.message.replace(/\.$/, "");
      reasons.push(message.charAt(0).toLowerCase() + message.slice(1));
      return fallback;
    }
  };
  if (typeof record.fields.__problem === "string") {
    problems.push({ line: record.line, reason: `the row ${record.fields.__problem}` });
    return null;
  }
  const fields: Partial<Record<keyof Omit<ImportRow, "line">, unknown>> = {};
  for (const [name, value] of Object.entries(record.fields)) fields[fieldOf(name)!] = value;
  // U+FFFD is what a lossy decoding leaves where a letter was: the file was not UTF-8.
  if (Object.values(fields).some((value) => typeof value === "string" && value.includes("\uFFFD"))) {
    problems.push({ line: record.line, reason: "the row has U+FFFD (\"�\") where a character could not be decoded: save the file as UTF-8" });
    return null;
  }
  const username = check(() => {
    validateUsername(fields.username, target);
    return fields.username;
  }, "");
  const email = check(() => validateEmail(fields.email === "" ? undefined : fields.email), "");
  const firstName = check(() => validateName(fields.firstName, "first_name"), null);
  const lastName = check(() => validateName(fields.lastName, "last_name"), null);
  const active = check(() => readFlag(fields.active, "active"), false);
  const admin = check(() => readFlag(fields.admin, "admin"), false);
  const superuser = check(() => readFlag(fields.superuser, "superuser"), false);
  const password = fields.password;
  if (typeof password !== "string" || password === "") reasons.push("the password hash is missing");
  else if (!isSupportedStoredPassword(password)) {
    reasons.push(
      "the password is not a supported hash (Piccolo, Django pbkdf2_sha256/pbkdf2_sha1/argon2/bcrypt_sha256, bcrypt $2a$/$2b$/$2y$, better-auth scrypt); plain passwords are not imported",
    );
  }
  if (reasons.length > 0) {
    for (const reason of reasons) problems.push({ line: record.line, reason });
    return null;
  }
  return { line: record.line, username, email, firstName, lastName, active, admin, superuser, password: password as string };
}

function readFlag(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number" && (value === 0 || value === 1)) return value === 1;
  if (typeof value === "string") {
    // An empty CSV cell is the column's default, false, as Piccolo's.
    const parsed = value.trim() === "" ? false : booleanFromWord(value);
    if (parsed !== undefined) return parsed;
  }
  throw new ValidationError(`${field} must be true or false (t/f, 1/0, yes/no)`, field);
}

function usernameKey(target: ImportTarget, username: string): string {
  return target.caseInsensitiveUsernames ? foldUsername(username) : username;
}

function findDuplicatesInFile(rows: ImportRow[], target: ImportTarget, problems: ImportProblem[]): void {
  const usernames = new Map<string, number>();
  const emails = new Map<string, number>();
  for (const row of rows) {
    const key = usernameKey(target, row.username);
    const earlier = usernames.get(key);
    if (earlier !== undefined) {
      problems.push({ line: row.line, reason: `the username ${JSON.stringify(row.username)} is already on line ${earlier}` });
    } else usernames.set(key, row.line);
    const sameEmail = emails.get(row.email);
    if (sameEmail !== undefined) {
      problems.push({
        line: row.line,
        reason:
          row.email === ""
            ? `no email, like line ${sameEmail}: emails are unique, and at most one user can have none`
            : `the email ${JSON.stringify(row.email)} is already on line ${sameEmail}`,
      });
    } else emails.set(row.email, row.line);
  }
}

async function findConflictsInTable(db: Database, target: ImportTarget, rows: ImportRow[], problems: ImportProblem[]): Promise<void> {
  const takenNames = new Set<string>();
  const takenEmails = new Set<string>();
  for (let start = 0; start < rows.length; start += LOOKUP_CHUNK) {
    const chunk = rows.slice(start, start + LOOKUP_CHUNK);
    const names = chunk.map((row) => row.username);
    const folded = chunk.map((row) => foldUsername(row.username));
    const emails = chunk.map((row) => row.email);
    const found = await db.kysely
      .selectFrom(target.tableName)
      .select(["username", "email"])
      .where((eb) =>
        eb.or([
          eb("username", "in", names),
          eb("email", "in", emails),
          ...(target.caseInsensitiveUsernames ? [eb(FOLDED_USERNAME_COLUMN, "in", folded)] : []),
        ]),
      )
      .execute();
    for (const row of found) {
      takenNames.add(usernameKey(target, String(row.username)));
      takenEmails.add(String(row.email));
    }
  }
  for (const row of rows) {
    if (takenNames.has(usernameKey(target, row.username))) {
      problems.push({ line: row.line, reason: `the username ${JSON.stringify(row.username)} is already taken` });
    }
    if (takenEmails.has(row.email)) {
      problems.push({
        line: row.line,
        reason: row.email === "" ? "another user already has no email address, and emails must be unique" : `the email ${JSON.stringify(row.email)} is already taken`,
      });
    }
  }
}
