// Everything the `piccolo` command prints goes through here: results on stdout, prompts, warnings and
// the one-line failure messages on stderr. Nothing in this module loads a database library.
import { createRequire } from "node:module";
import { writeText } from "./stdio.js";

const requireModule = createRequire(import.meta.url);

// The command's own failures live with every other error class.
export { CliError, UsageError, CancelledError } from "../errors.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

// ---- secrets -------------------------------------------------------------------------------------

const secrets = new Set<string>();

/**
 * Registers a value that must never be printed (a password typed or passed, a database password).
 * Every message this module prints has them replaced by `***`. Values shorter than 6 characters are
 * not registered: they break the password rules anyway, and masking them would garble ordinary words.
 */
export function addSecret(value: string | undefined | null): void {
  if (typeof value === "string" && value.length >= 6) secrets.add(value);
}

/** Registers the password inside a database URL, raw and percent-decoded. */
export function addUrlSecret(url: string | undefined): void {
  if (!url) return;
  try {
    const password = new URL(url).password;
    if (password) {
      addSecret(password);
      addSecret(decodeURIComponent(password));
    }
  } catch {
    // Not a URL (a SQLite path): nothing secret in it.
  }
}

const HASH_TEXT = /pbkdf2_sha256\$[^\s'"`]*/g;

// C0 and C1 control characters other than tab and newline: echoed raw, a stored username could move
// the cursor, recolour or retitle the terminal of whoever lists users.
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const JSON_UNESCAPED_CONTROL = /[\u007f-\u009f\u2028\u2029]/g;
// In a table cell, tabs, newlines and line separators would break the row as well.
const CELL_CONTROL = /[\p{Cc}\u2028\u2029]/gu;

function escapeAsCodePoint(char: string): string {
  return `\\u{${char.codePointAt(0)!.toString(16)}}`;
}

/** Masks registered secrets and anything shaped like a stored password hash. */
function maskSecrets(text: string): string {
  let result = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    result = result.split(secret).join("***");
  }
  return result.replace(HASH_TEXT, "pbkdf2_sha256$***");
}

/** Masks secrets and shows control characters as visible `\u{…}` escapes: safe for a terminal. */
export function scrub(text: string): string {
  return maskSecrets(text).replace(TERMINAL_CONTROL, escapeAsCodePoint);
}

function oneLine(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join(" ");
}

// ---- writing -------------------------------------------------------------------------------------

/** A result line on stdout. */
export function print(line = ""): void {
  writeText(1, `${scrub(line)}\n`);
}

/** A JSON document on stdout (one line, so scripts can read it line by line). */
export function printJson(value: unknown): void {
  // JSON.stringify escapes C0 controls but not DEL, C1 and the line separators; a JSON escape keeps the
  // document parseable.
  const json = maskSecrets(JSON.stringify(value)).replace(
    JSON_UNESCAPED_CONTROL,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  writeText(1, `${json}\n`);
}

/** A notice on stderr (prompts' companions, warnings): never mixed into the results on stdout. */
export function note(line: string): void {
  writeText(2, `${scrub(line)}\n`);
}

export function warn(message: string): void {
  note(`Warning: ${oneLine(message)}`);
}

/**
 * Ends a message with a full stop unless it already ends its sentence (`.`, `!` or `?`, perhaps inside
 * quotes or brackets), so the hint after it reads as its own sentence: `(connection refused)` gets one,
 * `(Did you mean --username?)` does not.
 */
function sentence(text: string): string {
  return /[.!?]["'`)\]]*$/.test(text) ? text : `${text}.`;
}

/** Piccolo's failure phrase, then the message, then what to do: one line for stderr. */
export function failureLine(message: string, hint?: string): string {
  const parts = ["The command failed.", sentence(oneLine(message))];
  if (hint) parts.push(sentence(oneLine(hint)));
  return scrub(parts.join(" "));
}

// ---- tables --------------------------------------------------------------------------------------

/** Columns padded to their widest cell, a dashed rule under the header. */
export function formatTable(headers: readonly string[], rawRows: readonly (readonly string[])[]): string {
  // Escaped before measuring, so a stored name holding control characters keeps the columns aligned.
  const rows = rawRows.map((row) => row.map((cell) => cell.replace(CELL_CONTROL, escapeAsCodePoint)));
  const widths = headers.map((header, i) =>
    Math.max(displayWidth(header), ...rows.map((row) => displayWidth(row[i] ?? ""))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - displayWidth(cell))))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;
let measure: ((text: string) => number) | undefined;

/**
 * The columns a terminal gives `text`, by string-width (grapheme clusters: an emoji joined with
 * zero-width joiners is one wide character; East Asian wide characters; combining marks). The one measure
 * for everything the CLI aligns. Plain ASCII is its length (string-width's own answer); the library is
 * loaded only for other text, because compiling its emoji patterns costs tens of milliseconds of start-up.
 */
export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  // string-width is ESM-only; Node 20.19+ loads it synchronously through require, as formatTable needs.
  measure ??= (requireModule("string-width") as { default: (text: string) => number }).default;
  return measure(text);
}

/** `YYYY-MM-DD HH:MM:SS` in UTC (how the tables store it), or empty for null. */
export function formatTimestamp(value: Date | null | undefined): string {
  if (!value) return "";
  return value.toISOString().replace("T", " ").replace(/\.\d+Z$/, "");
}
