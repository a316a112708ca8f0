// examples/cluster-app.mjs started as a child process with one worker on a free port, for the tests that
// need real processes sharing one store (Redis) or one database.
import { spawn, type ChildProcess } from "node:child_process";
import { baseEnv, root } from "./cli.js";

const example = new URL("../../../examples/cluster-app.mjs", import.meta.url).pathname;

export interface ServedExample {
  child: ChildProcess;
  origin: string;
}

/** Starts the example with `env` added; resolves once it says where it listens. */
export function startClusterExample(env: Record<string, string>): Promise<ServedExample> {
  const child = spawn(process.execPath, [example], { cwd: root, env: baseEnv({ ...env, WORKERS: "1", PORT: "0" }), stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`the example did not start: ${output}`)), 30_000);
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      const match = /listening on (http:\/\/[\d.]+:\d+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, origin: match[1]! });
      }
    });
    child.on("exit", (code) => reject(new Error(`the example exited (${code}): ${output}`)));
  });
}
