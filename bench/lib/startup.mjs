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
 * interleaved run by run. Null when the command has not been built.
 */
export function startup(cli, databaseUrl, expectUsername, runs, cwd) {
  if (!existsSync(cli)) return null;
  const env = { ...process.env, DATABASE_URL: databaseUrl };
  delete env.NODE_OPTIONS;
  const options = { env, cwd };
  const commands = {
    bare: ["-e", "0"],
    help: [cli, "--help"],
    list: [cli, "user", "list"],
  };
  // Check what the commands print once, and warm the file cache.
  const listed = wall(commands.list, options).stdout;
  if (!listed.includes(expectUsername)) throw new Error(`piccolo user list did not list ${expectUsername}:\n${listed}`);
  if (!/user/i.test(wall(commands.help, options).stdout)) throw new Error("piccolo --help printed no usage");
  wall(commands.bare, options);
  const samples = { bare: [], help: [], list: [] };
  for (let i = 0; i < runs; i++) {
    for (const name of Object.keys(commands)) samples[name].push(wall(commands[name], options).seconds);
  }
  return {
    runs,
    bare: median(samples.bare),
    help: median(samples.help),
    list: median(samples.list),
  };
}
