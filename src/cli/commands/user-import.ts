// `piccolo user import FILE`: users from another system, with their stored password hashes (CSV with
// a header row, or JSON Lines). Every row is checked before anything is written; each bad row is
// reported with its line and the reason (never the hash), and then nothing is imported.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { CliError, UsageError, formatTable, note, print, printJson } from "../output.js";
import type { CommandInput } from "../types.js";
import { warnIfUserMigrationsPending } from "../users.js";

const BAR_WIDTH = 30;

export async function run(input: CommandInput): Promise<number> {
  const { BaseUser } = await import("../../user/base-user.js");
  const { detectFormat, importUsers } = await import("../../user/import.js");
  const file = input.args[0]!;
  const format = input.options.format as string | undefined;
  if (format !== undefined && format !== "csv" && format !== "jsonl") {
    throw new UsageError(`Unknown format "${format}".`, "Use --format csv or --format jsonl.");
  }
  const batchSize = input.options.batch_size as number | undefined;
  if (batchSize !== undefined && batchSize < 1) throw new UsageError("The batch size must be > 0.");

  let text: Buffer;
  try {
    text = await readFile(file); // bytes: importUsers decodes them as strict UTF-8
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new CliError(`Cannot read ${file} (${code}).`, { code: "FILE_UNREADABLE", hint: "Give the path of a CSV or JSON Lines file." });
  }

  BaseUser.database = input.db;
  await warnIfUserMigrationsPending(input.db);
  const showBar = process.stderr.isTTY === true && !input.json;
  // BaseUser follows the database's case-insensitive mode (set by the line above).
  const result = await importUsers(BaseUser, text, format ?? detectFormat(basename(file), text), {
    dryRun: input.options.dry_run === true,
    batchSize,
    onProgress: showBar ? (done, total) => drawBar(done, total) : undefined,
  });
  if (showBar && result.imported > 0) process.stderr.write("\n");

  if (input.json) {
    printJson(result);
    return result.problems.length === 0 ? 0 : 1;
  }
  if (result.problems.length > 0) {
    print(await formatTable(["line", "problem"], result.problems.map((problem) => [problem.line === 0 ? "-" : String(problem.line), problem.reason])));
    const rows = new Set(result.problems.map((problem) => problem.line)).size;
    throw new CliError(`${rows === 1 ? "1 row" : `${rows} rows`} of ${result.total} cannot be imported (listed above); nothing was written.`, {
      code: "IMPORT_INVALID",
      hint: "Fix the rows and run the command again; --dry-run checks without writing.",
    });
  }
  // The import succeeded, so the bytes are valid UTF-8.
  const inactive = await rowsWithoutActive(text.toString("utf8"), (format as "csv" | "jsonl" | undefined) ?? detectFormat(basename(file), text));
  // Piccolo's column default for `active` is false: said where it happens, since those users cannot log in.
  if (result.dryRun) print(`Checked ${result.total} users: all can be imported. Dry run: nothing was written.`);
  else {
    print(`Imported ${result.imported} users.`);
    if (result.imported > 0) note("Their passwords are replaced by Piccolo hashes as each one logs in.");
  }
  if (inactive > 0) {
    note(
      `${inactive === 1 ? "1 row has" : `${inactive} rows have`} no active value, so ${inactive === 1 ? "that user" : "those users"} ` +
        `${result.dryRun ? "would be" : inactive === 1 ? "is" : "are"} inactive (false, Piccolo's default for the column) and cannot log in: ` +
        'add an active column (t/f) to the file, or activate them later ("piccolo user change_permissions <username> --active=t", or the admin\'s bulk Activate).',
    );
  }
  return 0;
}

/** Rows whose `active` (or `is_active`) is missing or empty: they are stored as inactive. */
async function rowsWithoutActive(text: string, format: "csv" | "jsonl"): Promise<number> {
  const { parseCsv, parseJsonLines } = await import("../../user/import-file.js");
  const { records } = format === "csv" ? parseCsv(text) : parseJsonLines(text);
  return records.filter((record) => {
    const value = Object.hasOwn(record.fields, "active") ? record.fields.active : record.fields.is_active;
    return value === undefined || value === null || value === "";
  }).length;
}

function drawBar(done: number, total: number): void {
  const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
  process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${done}/${total}`);
}
