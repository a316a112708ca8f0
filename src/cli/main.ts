// The `piccolo` command. This file only declares the commands and parses the command line: each
// command's code (and every database library) is imported when that command runs, so `--help` and
// the commands that touch SQLite start without loading anything they do not use.
//
// The commands themselves are a table in ./command-table.ts.
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { PiccoloError, ValidationError } from "../errors.js";
import { parseBoolean, parseInteger } from "./flag-values.js";
import {
  CancelledError,
  CliError,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  UsageError,
  addUrlSecret,
  failureLine,
  printJson,
} from "./output.js";
import { COMMANDS, GROUPS, ROOT_HELP, type CommandSpec, type OptionSpec } from "./command-table.js";
import { exampleValue, refuseFlagAsValue, twin } from "./flag-spellings.js";
import { commanderOutput, writeText } from "./stdio.js";



// ---- building the command tree -------------------------------------------------------------------

interface RunState {
  /** The command being run or parsed, for help hints: `user create`. */
  command: string;
  json: boolean;
  /** True once a command module has run (so there may be database connections to close). */
  ran: boolean;
  exitCode: number;
}

/** Thrown by commander (through exitOverride), tagged with the command it was parsing. */
class ParseFailure extends Error {
  constructor(
    readonly commander: CommanderError,
    readonly command: Command,
    readonly commandName: string,
  ) {
    super(commander.message);
  }
}

/** `--port=8000`: each option with a value that fits it, for hints. */
const optionExamples = new WeakMap<Option, string>();

function withParser(option: Option, spec: OptionSpec, flag: string): Option {
  if (option.long && (spec.example !== undefined || spec.type !== undefined)) optionExamples.set(option, `${option.long}=${exampleValue(spec)}`);
  if (spec.type === "boolean") option.argParser((value: string) => parseBoolean(value, flag));
  if (spec.type === "integer") option.argParser((value: string) => parseInteger(value, flag, exampleValue(spec)));
  return option;
}

function commandName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

function configure(command: Command): Command {
  return command.exitOverride((error) => {
    throw new ParseFailure(error, command, commandName(command));
  });
}

function addOptions(command: Command, spec: CommandSpec, keys: Map<string, string>): void {
  const options = [...(spec.options ?? [])];
  if (spec.json) options.push({ flags: "--json", description: "print the result as JSON" });
  for (const optionSpec of options) {
    const primary = new Option(optionSpec.flags, optionSpec.description);
    const long = primary.long ?? "";
    withParser(primary, optionSpec, long);
    command.addOption(primary);
    const key = long.replace(/^--/, "").replaceAll("-", "_");
    keys.set(primary.attributeName(), key);
    // Hidden spellings: the `also` ones, and the snake/kebab twin of every multi-word long flag.
    const valuePart = /\s+[<[].*$/.exec(optionSpec.flags)?.[0] ?? "";
    const spellings = [optionSpec.flags, ...(optionSpec.also ?? [])];
    const hidden: string[] = [...(optionSpec.also ?? [])];
    for (const flags of spellings) {
      const name = /--([\w-]+)/.exec(flags)?.[1];
      const other = name ? twin(name) : undefined;
      if (other && !spellings.concat(hidden).some((f) => new RegExp(`--${other}(\\s|$)`).test(f))) {
        hidden.push(`--${other}${/\s+[<[].*$/.exec(flags)?.[0] ?? valuePart}`);
      }
    }
    for (const flags of hidden) {
      const option = new Option(flags).hideHelp();
      withParser(option, optionSpec, option.long ?? option.short ?? flags);
      command.addOption(option);
      keys.set(option.attributeName(), key);
    }
  }
}

function normalise(values: Record<string, unknown>, keys: Map<string, string>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [attribute, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const key = keys.get(attribute) ?? attribute;
    if (!(key in result)) result[key] = value;
  }
  return result;
}

// ---- unknown commands: the closest one ------------------------------------------------------------

function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The command closest to `word` typed after `piccolo <prefix>`: a sibling first, else one in another group. */
function suggestCommand(prefix: string[], word: string): string | undefined {
  const typed = word.toLowerCase().replaceAll("-", "_");
  const entries: { path: string[]; names: string[] }[] = [
    ...Object.keys(GROUPS).map((group) => ({ path: [group], names: [group] })),
    ...COMMANDS.map((spec) => ({ path: spec.path as string[], names: [spec.path.at(-1)!, ...(spec.aliases ?? [])] })),
  ];
  let best: { path: string[]; name: string; score: number } | undefined;
  for (const entry of entries) {
    const parent = entry.path.slice(0, -1);
    const sibling = parent.join(" ") === prefix.join(" ");
    // Also: after `piccolo`, a group's command (`create` → `user create`); after a group, another
    // group's command (`user forwards` → `migrations forwards`).
    const cousin = prefix.length === 0 ? parent.length === 1 : parent.length === prefix.length;
    if (!sibling && !cousin) continue;
    for (const name of entry.names) {
      const distance = editDistance(typed, name.replaceAll("-", "_"));
      const limit = name.length <= 3 ? 1 : name.length <= 6 ? 2 : 3;
      const prefixMatch = typed.length >= 2 && name.startsWith(typed);
      if (distance > limit && !prefixMatch) continue;
      const score = (prefixMatch ? Math.min(distance, 1) : distance) + (sibling ? 0 : 0.5);
      if (!best || score < best.score) best = { path: entry.path, name, score };
    }
  }
  // The spelling that was close (an alias such as `status` when `stats` was typed).
  return best ? `piccolo ${[...best.path.slice(0, -1), best.name].join(" ")}` : undefined;
}

function onUnknownCommand(command: Command, prefix: string[]): void {
  command.on("command:*", (operands: string[]) => {
    const word = operands[0] ?? "";
    const suggestion = suggestCommand(prefix, word);
    const where = ["piccolo", ...prefix].join(" ");
    throw new UsageError(
      `Unknown command "${[where, word].join(" ")}".`,
      suggestion
        ? `Did you mean "${suggestion}"? Run "${where} --help" to see the commands.`
        : `Run "${where} --help" to see the commands.`,
    );
  });
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

function buildProgram(state: RunState): Command {
  const program = configure(new Command("piccolo"));
  program
    .description("Piccolo's user system for TypeScript: migrations and user management on SQLite, PostgreSQL or MySQL.")
    .option("--db <url>", "database URL (postgres://…, mysql://…) or SQLite file")
    .version(version(), "-V, --version")
    .configureOutput({ ...commanderOutput, outputError: () => {} })
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .addHelpText("after", ROOT_HELP);
  onUnknownCommand(program, []);

  const groups = new Map<string, Command>();
  for (const [name, description] of Object.entries(GROUPS)) {
    const group = configure(program.command(name).description(description));
    onUnknownCommand(group, [name]);
    groups.set(name, group);
  }

  for (const spec of COMMANDS) {
    const parent = spec.path.length === 2 ? groups.get(spec.path[0])! : program;
    const name = spec.path.at(-1)!;
    const command = configure(parent.command(name).description(spec.summary));
    const aliases = [...(spec.aliases ?? [])];
    const other = twin(name);
    if (other) aliases.push(other);
    command.aliases(aliases);
    for (const [argument, description] of spec.arguments ?? []) command.argument(argument, description);
    const keys = new Map<string, string>();
    addOptions(command, spec, keys);
    if (spec.help) command.addHelpText("after", spec.help);
    command.action(async (...params: unknown[]) => {
      const self = params.at(-1) as Command;
      const args = params.slice(0, self.registeredArguments.length) as (string | undefined)[];
      const options = normalise(self.opts(), keys);
      const db = program.opts<{ db?: string }>().db;
      state.command = spec.path.join(" ");
      state.json = options.json === true;
      addUrlSecret(db ?? process.env.DATABASE_URL);
      const [module] = await Promise.all([spec.load(), import("../apps.js")]); // apps: so commands can name them
      state.ran = true;
      const code = await module.run({ args, options, db, json: state.json, name: state.command });
      state.exitCode = typeof code === "number" ? code : EXIT_OK;
    });
  }
  return program;
}

// ---- failures -------------------------------------------------------------------------------------

function helpHint(command: string): string {
  return `Run "piccolo${command ? ` ${command}` : ""} --help" for usage.`;
}

function hintFor(error: PiccoloError, command: string): string | undefined {
  switch (error.code) {
    case "USER_EXISTS":
      if ((error as PiccoloError & { field?: string }).field !== "email") {
        return 'Choose another username (see them with "piccolo user list").';
      }
      // Two users without an email collide on '': the message already says to give one.
      return /give this user an email/i.test(error.message) ? undefined : "Give another email address.";
    case "USER_NOT_FOUND":
      return 'See the users with "piccolo user list".';
    case "DB_UNREACHABLE": {
      // A cause named in words (src/engine/connection-causes.ts) carries its own advice.
      const advice = (error as PiccoloError & { advice?: unknown }).advice;
      if (typeof advice === "string") return advice;
      return /^postgres|^mysql|^mariadb/i.test((error as PiccoloError & { url?: string }).url ?? "")
        ? "Check that the database server is running and that --db, DATABASE_URL or piccolo.config.* points at it."
        : "Check the SQLite file's path given by --db, DATABASE_URL or piccolo.config.*.";
    }
    case "CONFIG":
      // An MFA key's message says what to set; the database hint would mislead.
      return /\bMFA key\b|PICCOLO_MFA_/.test(error.message) ? undefined : "Check --db, DATABASE_URL or piccolo.config.*.";
    case "MIGRATION":
      return 'See "piccolo migrations check".';
    case "DB_ERROR":
      return 'Check that the migrations have run ("piccolo migrations check") and that the database user may do this.';
    case "TABLE_MISSING":
      return undefined; // the message already says what to run
    case "VALIDATION": {
      const field = (error as ValidationError).field;
      if (field === "password") return "Choose another password.";
      if (field === "username") return "Choose another username.";
      return helpHint(command);
    }
    default:
      return helpHint(command);
  }
}

/** `--usrname=bob` → `--username`: the closest visible option of the command, ignoring the value. */
function suggestOption(command: Command, typed: string): string | undefined {
  const name = typed.split("=")[0] ?? typed;
  let best: { flag: string; distance: number } | undefined;
  for (const option of command.options) {
    if (option.hidden || !option.long) continue;
    const distance = editDistance(name.replaceAll("-", "_"), option.long.replaceAll("-", "_"));
    if (distance <= Math.max(1, Math.floor(option.long.length / 3)) && (!best || distance < best.distance)) {
      best = { flag: option.long, distance };
    }
  }
  return best?.flag;
}

function commanderMessage(error: CommanderError, command: Command): string {
  let text = error.message.replace(/^error:\s*/i, "").replace(/\s*\n\s*/g, " ").trim();
  const unknown = /^unknown option '([^']+)'$/.exec(text);
  const suggestion = unknown?.[1] ? suggestOption(command, unknown[1]) : undefined;
  if (suggestion) text += ` (Did you mean ${suggestion}?)`;
  // `option '--port <n>' argument missing`: show a value that fits.
  const missing = /^option '(?:-\w, )?(--[\w-]+)[^']*' argument missing$/.exec(text)?.[1];
  const option = missing ? command.options.find((each) => each.long === missing) : undefined;
  const example = option ? optionExamples.get(option) : undefined;
  if (example) text += `: give it a value, for example ${example}`;
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]["'`)\]]*$/.test(sentence) ? sentence : `${sentence}.`;
}

/** Prints one line on stderr (and a JSON error on stdout with --json); returns the exit code. */
function reportFailure(error: unknown, state: RunState): number {
  if (error instanceof ParseFailure) {
    const { commander } = error;
    if (commander.code === "commander.helpDisplayed" || commander.code === "commander.version") return EXIT_OK;
    // `piccolo help` asked for it (0); a group typed without its subcommand shows it on stderr (usage error).
    if (commander.code === "commander.help") return commander.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    error = new UsageError(commanderMessage(commander, error.command), helpHint(error.commandName));
  }
  if (error instanceof CancelledError) {
    // The person chose to stop: nothing failed, so no failure phrase and no advice.
    writeText(2, `${error.message}\n`);
    if (state.json) printJson({ error: { code: error.code, message: error.message } });
    return error.exitCode;
  }
  let message: string;
  let hint: string | undefined;
  let code: string;
  let exitCode: number;
  if (error instanceof CliError) {
    message = error.message;
    hint = error.hint ?? (error.exitCode === EXIT_USAGE ? helpHint(state.command) : undefined);
    code = error.code;
    exitCode = error.exitCode;
  } else if (error instanceof PiccoloError) {
    message = error.message;
    hint = hintFor(error, state.command);
    code = error.code;
    exitCode = EXIT_FAILED;
  } else {
    const e = error as { name?: string; message?: string } | null;
    const first = String(e?.message ?? error).split("\n")[0];
    message = `Unexpected error (${e?.name ?? "Error"}): ${first}`;
    hint = "Set PICCOLO_DEBUG=1 to see the details, and please report it.";
    code = "UNEXPECTED";
    exitCode = EXIT_FAILED;
    if (process.env.PICCOLO_DEBUG) writeText(2, `${(error as Error)?.stack ?? String(error)}\n`);
  }
  const line = failureLine(message, hint);
  writeText(2, `${line}\n`);
  if (state.json) printJson({ error: { code, message: line.replace(/^The command failed\.\s*/, "") } });
  return exitCode;
}

// ---- entry point ----------------------------------------------------------------------------------

async function main(argv: string[] = process.argv): Promise<number> {
  const state: RunState = { command: "", json: false, ran: false, exitCode: EXIT_OK };
  let exitCode: number;
  try {
    refuseFlagAsValue(argv);
    const program = buildProgram(state);
    await program.parseAsync(argv);
    exitCode = state.exitCode;
  } catch (error) {
    exitCode = reportFailure(error, state);
  }
  try {
    const { closePrompter } = await import("./prompts.js");
    closePrompter();
    if (state.ran) await (await import("../engine/connect.js")).closeDatabases();
  } catch {
    // Closing is best effort: the process is ending anyway.
  }
  return exitCode;
}

// This module is the `piccolo` binary: importing it runs the command line and exits with its code.
process.on("SIGINT", () => process.exit(130));
main().then((code) => process.exit(code));
