// Figure 6: whole-process start-up of the `piccolo` command, next to a bare `node -e 0`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { median } from "./stats.mjs";

function wall(args, options) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { ...options, encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) {
    throw new Error(`node ${args.join(" ")} exited ${result.status}: ${(result.stderr || result.stdout).slice(0, 400)}`);
  }
  return { seconds, stdout: result.stdout };
}

/**
 * Median wall time (s) of `node -e 0`, `piccolo --help` and `piccolo user list` (SQLite, 20 users),
 * interleaved run by run, and each command's ratio to `node -e 0`. Null when the command has not been
 * built. `others` adds more CLIs (e.g. the unbundled dist/cli/main.js), measured in the same rounds.
 */
export function startup(cli, databaseUrl, expectUsername, runs, cwd, others = {}) {
  if (!existsSync(cli)) return null;
  const env = { ...process.env, DATABASE_URL: databaseUrl };
  delete env.NODE_OPTIONS;
  const options = { env, cwd };
  const clis = { "": cli, ...others };
  const commands = { bare: ["-e", "0"] };
  for (const [name, file] of Object.entries(clis)) {
    commands[`${name}help`] = [file, "--help"];
    commands[`${name}list`] = [file, "user", "list"];
  }
  // Check what the commands print once, warm the file cache (and the bin's compile cache).
  for (const [name, args] of Object.entries(commands)) {
    const { stdout } = wall(args, options);
    if (name.endsWith("list") && !stdout.includes(expectUsername)) throw new Error(`${name}: did not list ${expectUsername}:\n${stdout}`);
    if (name.endsWith("help") && !/user/i.test(stdout)) throw new Error(`${name}: printed no usage`);
  }
  const samples = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (let i = 0; i < runs; i++) {
    for (const name of Object.keys(commands)) samples[name].push(wall(commands[name], options).seconds);
  }
  const result = { runs };
  for (const name of Object.keys(commands)) result[name] = median(samples[name]);
  for (const name of Object.keys(commands)) if (name !== "bare") result[`${name}Ratio`] = result[name] / result.bare;
  return result;
}
