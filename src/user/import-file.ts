// Reading an import file (piccolo user import): CSV with a header row or JSON Lines, into records with
// their line numbers. Checking the records is import.ts's job.

/** The import file's format: CSV with a header row, or JSON Lines (one object per line). */
export type ImportFormat = "csv" | "jsonl";

/** A row that cannot be imported: its line in the file and why (never the password value). */
export interface ImportProblem {
  /** The line in the file, counted from 1 (0: the file as a whole). */
  line: number;
  /** Why the row cannot be imported. */
  reason: string;
}

/** A user's value a file can give (a column of a CSV file, a key of a JSON Lines object). */
export type ImportField = "username" | "email" | "firstName" | "lastName" | "active" | "admin" | "superuser" | "password";

/** Accepted column names (snake_case as in piccolo_user, camelCase, Django's `is_…`) → the field. */
export const FIELD_NAMES: Record<string, ImportField> = {
  username: "username",
  email: "email",
  first_name: "firstName",
  firstName: "firstName",
  last_name: "lastName",
  lastName: "lastName",
  active: "active",
  is_active: "active",
  admin: "admin",
  is_admin: "admin",
  superuser: "superuser",
  is_superuser: "superuser",
  password: "password",
  password_hash: "password",
};

/** The field a column name stands for; only the names above (never `constructor`, `__proto__`, `toString`). */
export function fieldOf(name: string): ImportField | undefined {
  return Object.hasOwn(FIELD_NAMES, name) ? FIELD_NAMES[name] : undefined;
}

export interface RawRecord {
  line: number;
  fields: Record<string, unknown>;
}

/**
 * The format of a file: by its name (.csv, .jsonl/.ndjson), else by its first character. Exported as
 * `detectImportFormat`, to pick the `format` argument of `importUsers`.
 *
 * @example
 * ```ts
 * const text = await readFile("users.jsonl", "utf8");
 * const format = detectImportFormat("users.jsonl", text); // "jsonl"
 * ```
 */
export function detectFormat(fileName: string, text: string | Uint8Array): ImportFormat {
  if (/\.csv$/i.test(fileName)) return "csv";
  if (/\.(jsonl|ndjson)$/i.test(fileName)) return "jsonl";
  const start = typeof text === "string" ? text.slice(0, 1024) : new TextDecoder().decode(text.subarray(0, 1024));
  return start.replace(/^\uFEFF/, "").trimStart().startsWith("{") ? "jsonl" : "csv";
}

/** Lines reported at most when a file is not UTF-8 (one is enough to know; a few help find them). */
const MAX_ENCODING_PROBLEMS = 10;

/**
 * The file's text, decoded as strict UTF-8: a file saved in another encoding (Latin-1, Windows-1252) is
 * refused with the lines that are not UTF-8, rather than stored with U+FFFD in place of its letters.
 */
export function decodeImportFile(bytes: Uint8Array): { text: string; problems: ImportProblem[] } {
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), problems: [] };
  } catch {
    const problems: ImportProblem[] = [];
    const strict = new TextDecoder("utf-8", { fatal: true });
    let line = 1;
    for (let start = 0; start <= bytes.length && problems.length < MAX_ENCODING_PROBLEMS; line++) {
      const end = bytes.indexOf(0x0a, start);
      const stop = end < 0 ? bytes.length : end;
      try {
        strict.decode(bytes.subarray(start, stop));
      } catch {
        problems.push({ line, reason: "is not valid UTF-8: save the file as UTF-8 (it looks like another encoding, e.g. Latin-1)" });
      }
      if (end < 0) break;
      start = end + 1;
    }
    return { text: new TextDecoder().decode(bytes), problems };
  }
}

// ---- reading the file ---------------------------------------------------------------------------------

export interface ParsedFile {
  records: RawRecord[];
  /** Line 0: a problem with the whole file (e.g. the header). */
  problems: ImportProblem[];
}

// One field and what ends it: a quoted field ("" is a quote inside it) or a bare one, then a comma,
// a line break or the end of the text. Sticky, so the parser walks the text without copying it.
const CSV_FIELD = /(?:"((?:[^"]|"")*)"|([^,\r\n"]*))(,|\r\n|\n|\r|$)/y;

/** RFC 4180 CSV with a header row: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): ParsedFile {
  const input = text.replace(/^\uFEFF/, "");
  const records: { line: number; cells: string[] }[] = [];
  let unreadable: number | undefined;
  let line = 1;
  let position = 0;
  while (position < input.length) {
    const recordLine = line;
    const cells: string[] = [];
    for (;;) {
      CSV_FIELD.lastIndex = position;
      const match = CSV_FIELD.exec(input);
      if (!match) {
        unreadable = recordLine; // a stray quote, or a quoted field never closed
        position = input.length;
        break;
      }
      const quoted = match[1];
      if (quoted !== undefined) {
        cells.push(quoted.replaceAll('""', '"'));
        line += countLineBreaks(quoted);
      } else cells.push(match[2]!);
      position = CSV_FIELD.lastIndex;
      const end = match[3]!;
      if (end !== ",") {
        if (end !== "") line++;
        break;
      }
    }
    if (unreadable !== undefined) break;
    if (!(cells.length === 1 && cells[0] === "")) records.push({ line: recordLine, cells });
  }

  const header = records.shift();
  if (!header) {
    return { records: [], problems: [{ line: unreadable ?? 0, reason: "the file has no header row" }] };
  }
  const names = header.cells.map((name) => name.trim());
  const headerProblem = checkHeader(names);
  if (headerProblem) return { records: [], problems: [{ line: header.line, reason: headerProblem }] };
  const parsed: RawRecord[] = records.map(({ line: recordAt, cells: values }) => {
    if (values.length !== names.length) {
      return { line: recordAt, fields: { __problem: `has ${values.length} fields, the header has ${names.length}` } };
    }
    // Own properties only, from the header's known names (checkHeader refused any other).
    return { line: recordAt, fields: Object.fromEntries(names.map((name, index) => [name, values[index]])) };
  });
  if (unreadable !== undefined) {
    // Everything after it is unreadable too: one problem, at the row where reading stopped.
    parsed.push({ line: unreadable, fields: { __problem: "has a stray quote or a quoted field that is never closed; the rest of the file cannot be read" } });
  }
  return { records: parsed, problems: [] };
}

function countLineBreaks(text: string): number {
  let count = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) count++;
  return count;
}

/** One JSON object per line; blank lines are skipped. */
export function parseJsonLines(text: string): ParsedFile {
  const records: RawRecord[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((content, index) => {
    if (content.trim() === "") return;
    const line = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch {
      records.push({ line, fields: { __problem: "is not valid JSON" } });
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      records.push({ line, fields: { __problem: "is not a JSON object" } });
      return;
    }
    const unknown = Object.keys(value).filter((key) => fieldOf(key) === undefined);
    if (unknown.length > 0) {
      records.push({ line, fields: { __problem: `has unknown field(s) ${unknown.join(", ")}; ${knownFields()}` } });
      return;
    }
    records.push({ line, fields: value as Record<string, unknown> });
  });
  return { records, problems: [] };
}

function knownFields(): string {
  return `the fields are ${Object.keys(FIELD_NAMES).join(", ")}`;
}

function checkHeader(names: string[]): string | null {
  const unknown = names.filter((name) => fieldOf(name) === undefined);
  if (unknown.length > 0) return `the header has unknown column(s) ${unknown.map((name) => JSON.stringify(name)).join(", ")}; ${knownFields()}`;
  const fields = names.map((name) => fieldOf(name));
  const repeated = fields.filter((field, index) => fields.indexOf(field) !== index);
  if (repeated.length > 0) return `the header names the field ${repeated[0]} twice`;
  for (const required of ["username", "password"] as const) {
    if (!fields.includes(required)) return `the header has no ${required} column`;
  }
  return null;
}
