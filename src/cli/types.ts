/** What main.ts hands a command module once the command line has been parsed. */
export interface CommandInput {
  /** Positional arguments, in the order the command declares them (missing optional ones are undefined). */
  args: (string | undefined)[];
  /**
   * Option values keyed by the primary spelling in snake_case (`is_admin`, `migration_id`,
   * `password_stdin`, `auto_agree`, `json`), whichever spelling was typed. Booleans and integers are
   * already parsed; options not given are absent.
   */
  options: Record<string, unknown>;
  /** The global `--db` value, if given (otherwise the resolution order applies). */
  db: string | undefined;
  /** True when `--json` was given. */
  json: boolean;
  /** The command as typed in help hints, e.g. `user create`. */
  name: string;
}

/** A command module exports `run`; it returns the exit code (0 when it returns nothing) or throws. */
export interface CommandModule {
  run(input: CommandInput): Promise<number | void>;
}
