// How the command line reads flag values: booleans in Piccolo's spellings and whole numbers.
import { booleanFromWord } from "../user/validation.js";
import { UsageError } from "./output.js";

/** The boolean a flag value spells, or a usage error that names the flag as it was typed. */
export function parseBoolean(value: string, flag: string): boolean {
  const parsed = booleanFromWord(value);
  if (parsed !== undefined) return parsed;
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
