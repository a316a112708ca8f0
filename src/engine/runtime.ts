// Which JavaScript runtime runs piccolo-ts. Node, Bun and Deno all answer to node:* modules; what still
// differs is asked here, once: the SQLite driver (dialects/sqlite.ts), the CLI's code cache
// (cli/entry.cts decides for itself, being CommonJS) and what `piccolo doctor` reports.

/** A runtime piccolo-ts supports. */
export type RuntimeName = "node" | "bun" | "deno";

/** The runtime in use and its version, e.g. `{ name: "bun", version: "1.4.5" }`. */
export interface RuntimeInfo {
  readonly name: RuntimeName;
  readonly version: string;
}

let known: RuntimeInfo | undefined;

/** Bun and Deno set `process.versions.bun` / `.deno` (their Node compatibility also sets `.node`). */
export function currentRuntime(): RuntimeInfo {
  if (known) return known;
  const versions = process.versions as NodeJS.ProcessVersions & { bun?: string; deno?: string };
  known = versions.bun
    ? { name: "bun", version: versions.bun }
    : versions.deno
      ? { name: "deno", version: versions.deno }
      : { name: "node", version: versions.node };
  return known;
}

/** "Node.js 20.20.0", "Bun 1.4.5", "Deno 2.9.6": for messages. */
export function runtimeLabel(runtime: RuntimeInfo = currentRuntime()): string {
  return `${{ node: "Node.js", bun: "Bun", deno: "Deno" }[runtime.name]} ${runtime.version}`;
}
