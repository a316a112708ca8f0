// Runs the built `piccolo` binary (package.json's bin) as a separate process and collects what it did.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file runs from build/test/support/). */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/** The file package.json's `bin` names: what `npx piccolo` runs once installed. */
export const bin = path.join(
  root,
  (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { bin: { piccolo: string } }).bin.piccolo,
);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for "never prints X" checks. */
  all: string;
}

export interface CliOptions {
  cwd?: string;
  /** Added to a clean environment (DATABASE_URL and PICCOLO_USER_PASSWORD removed unless given here). */
  env?: Record<string, string | undefined>;
  /** Written to standard input, which is then closed. Without it standard input is empty (EOF at once). */
  input?: string;
  /** Kills the process after this long (a hang is a failure, not a wait). */
  timeoutMs?: number;
}

export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.PICCOLO_USER_PASSWORD;
  delete env.PICCOLO_DEBUG;
  delete env.NODE_OPTIONS;
  env.NO_COLOR = "1";
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** `piccolo …args` with `options`; resolves when the process has exited. */
export function piccolo(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? root,
      env: baseEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let all = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      all += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      all += chunk;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`piccolo ${args.join(" ")} did not finish (killed); stdout: ${stdout}; stderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, all });
    });
    child.stdin.on("error", () => {}); // the command may exit before reading everything
    child.stdin.end(options.input ?? "");
  });
}

/** A CLI runner bound to one database: through `--db`, or through DATABASE_URL. */
export function boundTo(url: string, via: "--db" | "DATABASE_URL" = "--db", base: CliOptions = {}) {
  return (args: string[], options: CliOptions = {}): Promise<CliResult> => {
    const merged: CliOptions = { ...base, ...options, env: { ...base.env, ...options.env } };
    if (via === "DATABASE_URL") {
      merged.env = { DATABASE_URL: url, ...merged.env };
      return piccolo(args, merged);
    }
    return piccolo(["--db", url, ...args], merged);
  };
}
