// Flag spellings shared by the command line's parser (main.ts): the snake_case/kebab-case twin of a
// multi-word flag, a value that fits a flag (for hints), and the check that no flag takes another flag as
// its value.
import { COMMANDS, type OptionSpec } from "./command-table.js";
import { UsageError } from "./output.js";

/** `is_admin` ↔ `is-admin`; undefined for a one-word name. */
export function twin(name: string): string | undefined {
  if (name.includes("_")) return name.replaceAll("_", "-");
  if (name.includes("-")) return name.replaceAll("-", "_");
  return undefined;
}

/** A value that fits the flag: its own example, `t` for a boolean, `20` for a number. */
export function exampleValue(spec: OptionSpec): string {
  return spec.example ?? (spec.type === "boolean" ? "t" : spec.type === "integer" ? "20" : "…");
}

/** `--is_admin` → `--is_admin=t`: every long flag that takes a value (all spellings), with an example. */
function flagsTakingValues(): Map<string, string> {
  const flags = new Map<string, string>([["--db", "--db=piccolo.sqlite"]]);
  for (const spec of COMMANDS) {
    for (const option of spec.options ?? []) {
      for (const spelling of [option.flags, ...(option.also ?? [])]) {
        if (!/[<[]/.test(spelling)) continue;
        const name = /--([\w-]+)/.exec(spelling)?.[1];
        if (!name) continue;
        for (const each of [name, twin(name)]) if (each) flags.set(`--${each}`, `--${each}=${exampleValue(option)}`);
      }
    }
  }
  return flags;
}

/**
 * Commander gives a flag that takes a value the next word even when that word is itself a flag:
 * `--is_admin --is_superuser=t` would read "--is_superuser=t" as --is_admin's value. A value that
 * starts with `--` is never taken: give it as `--flag=--value` when it truly starts that way.
 */
export function refuseFlagAsValue(argv: readonly string[]): void {
  const flags = flagsTakingValues();
  for (let i = 2; i < argv.length - 1; i++) {
    const arg = argv[i]!;
    if (arg === "--") return;
    const next = argv[i + 1]!;
    const example = flags.get(arg);
    if (example !== undefined && next.startsWith("--")) {
      throw new UsageError(
        `${arg} was given without its value (the next word, ${JSON.stringify(next)}, is another flag).`,
        `Give it a value, for example ${example} (write ${arg}=VALUE when the value itself starts with --).`,
      );
    }
  }
}
