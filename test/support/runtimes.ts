// The three runtimes the tests run piccolo-ts on: this Node, and Bun and Deno from the npm registry
// (package.json's devDependencies `bun` and `deno`, pinned in the lock file). Their binaries are inside
// the packages: each package's postinstall moves or links the platform package's binary
// (@oven/bun-linux-x64, @deno/linux-x64-glibc) into place; with install scripts off, the platform
// package still holds it, so both places are looked at.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { root } from "./cli.js";

export type RuntimeName = "node" | "bun" | "deno";

/** How to run a script file on a runtime: the command and the arguments before the script's path. */
export interface RuntimeCommand {
  name: RuntimeName;
  command: string;
  args: string[];
  version: string;
}

const modules = path.join(root, "node_modules");
const arch = process.arch === "arm64" ? "aarch64" : process.arch;

const CANDIDATES: Record<Exclude<RuntimeName, "node">, string[]> = {
  bun: [path.join(modules, "bun/bin/bun.exe"), path.join(modules, `@oven/bun-${process.platform}-${arch}/bin/bun`)],
  deno: [path.join(modules, "deno/deno"), path.join(modules, `@deno/${process.platform}-${process.arch}-glibc/deno`)],
};

/** A real binary: the bun package ships a small placeholder until its postinstall runs. */
const isBinary = (file: string) => existsSync(file) && statSync(file).size > 1_000_000;

/** The runtime's command, or an Error saying what is missing (the tests fail with it: no skip). */
export function runtimeCommand(name: RuntimeName): RuntimeCommand | Error {
  if (name === "node") return { name, command: process.execPath, args: [], version: process.versions.node };
  const binary = CANDIDATES[name].find(isBinary);
  if (!binary) return new Error(`${name} is not installed: run \`npm ci\` (it is a devDependency); looked in ${CANDIDATES[name].join(", ")}.`);
  const probe = spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 30_000 });
  if (probe.status !== 0) return new Error(`${binary} --version failed: ${probe.stderr || probe.error?.message}`);
  const version = /(\d+\.\d+\.\d+)/.exec(probe.stdout)?.[1] ?? "?";
  return { name, command: binary, args: name === "deno" ? ["run", "-A"] : [], version };
}

/** Environment for a child runtime: no update checks or telemetry that would reach the network. */
export function runtimeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...extra, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", BUN_DISABLE_TELEMETRY: "1", DO_NOT_TRACK: "1" };
}
