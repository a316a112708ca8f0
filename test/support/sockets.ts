// What the kernel says about this process's TCP connections (Linux /proc): lets a fault test wait until
// every connection to a stopped server has been closed by its owner, instead of sleeping a guessed time.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

/** Inodes of the sockets this process holds open. */
function ownSocketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // The descriptor closed while we listed them.
    }
  }
  return inodes;
}

/** How many TCP sockets this process still holds to `port` (any state: open, or closed by the peer but not by us). */
export function openConnectionsTo(port: number): number {
  const own = ownSocketInodes();
  let count = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const remotePort = Number.parseInt(fields[2]!.split(":")[1]!, 16);
      if (remotePort === port && own.has(fields[9]!)) count++;
    }
  }
  return count;
}

/**
 * Resolves once this process holds no socket to `port` (each one's 'end'/'error'/'close' events have
 * been handled by then), plus two turns of the event loop for whatever those events scheduled. Throws
 * when sockets are still open after `timeoutMs`: a pool that never notices a dead server is a bug too.
 */
export async function waitUntilNoConnectionsTo(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (openConnectionsTo(port) > 0) {
    if (Date.now() > deadline) {
      throw new Error(`${openConnectionsTo(port)} connection(s) to port ${port} still open ${timeoutMs} ms after the server stopped`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
}
