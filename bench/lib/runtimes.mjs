// Login time and logins/s on each runtime (issue 25): the same login, on the same database, run by
// Node, Bun and Deno in turn (child processes: bench/runtime-child.mjs). Bun and Deno come from the npm
// registry as devDependencies; their binaries are inside the packages (or, with install scripts off,
// inside the platform packages @oven/bun-<os>-<arch> and @deno/<os>-<arch>-glibc).
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const bench = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const modules = path.join(bench, "..", "node_modules");
const arch = process.arch === "arm64" ? "aarch64" : process.arch;

const BINARIES = {
  bun: [path.join(modules, "bun/bin/bun.exe"), path.join(modules, `@oven/bun-${process.platform}-${arch}/bin/bun`)],
  deno: [path.join(modules, "deno/deno"), path.join(modules, `@deno/${process.platform}-${process.arch}-glibc/deno`)],
};

/** [command, ...arguments before the script] per runtime; a runtime that is not installed is left out. */
export function runtimeCommands() {
  const commands = { node: [process.execPath] };
  for (const [name, candidates] of Object.entries(BINARIES)) {
    const binary = candidates.find((file) => existsSync(file) && statSync(file).size > 1_000_000);
    if (binary) commands[name] = name === "deno" ? [binary, "run", "-A"] : [binary];
  }
  return commands;
}

/**
 * Per runtime: the median of `rounds` sequential logins (ms), and logins/s with `inFlight` at once over
 * `n` logins; each runtime's hasher (native addon or crypto.pbkdf2) as it reports it.
 */
export function runtimeFigures(url, creds, { rounds, n, inFlight = 16 }) {
  const out = {};
  for (const [name, [command, ...args]] of Object.entries(runtimeCommands())) {
    const input = JSON.stringify({ url, ...creds, rounds, n, inFlight });
    const env = { ...process.env, DENO_NO_UPDATE_CHECK: "1", DO_NOT_TRACK: "1" };
    const stdout = execFileSync(command, [...args, path.join(bench, "runtime-child.mjs"), input], { cwd: bench, env, encoding: "utf8" });
    out[name] = JSON.parse(stdout.trim().split("\n").pop());
  }
  return out;
}
