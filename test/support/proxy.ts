// `piccolo admin` run as a child process, and a small reverse proxy in front of it (adds X-Forwarded-For,
// -Proto https and -Host, as nginx would): for the tests of deployments behind a proxy.
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { baseEnv, bin, root } from "./cli.js";

/** `piccolo admin …flags` on a free port; resolves with the child and its port. */
export function startCliAdmin(url: string, flags: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [bin, "admin", "--port", "0", ...flags], {
    cwd: root,
    env: baseEnv({ DATABASE_URL: url }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`piccolo admin did not start: ${output}`));
    }, 30_000);
    const read = (chunk: string) => {
      output += chunk;
      const match = /Piccolo admin at http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    };
    child.stdout!.setEncoding("utf8").on("data", read);
    child.stderr!.setEncoding("utf8").on("data", read);
    child.on("exit", (code) => reject(new Error(`piccolo admin exited (${code}): ${output}`)));
  });
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** A TLS-terminating proxy as far as the app can tell: appends the peer to X-Forwarded-For, says https. */
export async function startProxy(targetPort: number): Promise<http.Server> {
  const proxy = http.createServer((req, res) => {
    const headers = { ...req.headers };
    const seen = req.socket.remoteAddress!.replace(/^::ffff:/, "");
    headers["x-forwarded-for"] = headers["x-forwarded-for"] ? `${String(headers["x-forwarded-for"])}, ${seen}` : seen;
    headers["x-forwarded-proto"] = "https";
    headers["x-forwarded-host"] = req.headers.host ?? "";
    const upstream = http.request({ host: "127.0.0.1", port: targetPort, path: req.url, method: req.method, headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return proxy;
}

