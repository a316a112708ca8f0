// How the command line reads flag values: booleans in Piccolo's spellings and whole numbers.
import { UsageError } from "./output.js";

// Piccolo's spellings (t/true/True, f/false/False) plus 1/0, yes/no, y/n; any letter case.
const TRUE_WORDS = new Set(["t", "true", "1", "yes", "y"]);
const FALSE_WORDS = new Set(["f", "false", "0", "no", "n"]);

/** The boolean a flag value spells, or a usage error that names the flag as it was typed. */
export function parseBoolean(value: string, flag: string): boolean {
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new UsageError(
    `${flag}=${JSON.stringify(value)} is not a boolean.`,
    `Use t, true, yes, y or 1 for true, and f, false, no, n or 0 for false (e.g. ${flag}=t).`,
  );
}

/**
 * A whole number flag value (`--limit`, `--page`, `--port`); the range rules are the library's (Piccolo's
 * messages). `example` is a value that fits this flag, shown in the hint.
 */
export function parseInteger(value: string, flag: string, example: string): number {
  const text = value.trim();
  if (!/^[+-]?\d+$/.test(text)) {
    throw new UsageError(`${flag}=${JSON.stringify(value)} is not a whole number.`, `For example ${flag}=${example}.`);
  }
  return Number(text);
}
