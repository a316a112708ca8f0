// The doc-tests' machinery: the fenced code blocks of a Markdown page with their markers, a new project next
// to a packed copy of this checkout (the layout the README's Quick start describes), and running a block in
// it as a reader would.
//
// Markers, an HTML comment on the line before a block (invisible on GitHub):
//   <!-- doc-test: no-run (why) -->          not run; the reason is required
//   <!-- doc-test: stdin "a\nb\n" -->      the block's standard input (answers to the questions it asks)
//   <!-- doc-test: env NAME=value -->      an environment variable the block expects the reader to have
// ts blocks are transpiled with TypeScript's transpileModule (types are erased, not checked) and run as
// ES modules with node; js blocks run as they are; sh blocks run with `sh -e`.
//
// better-sqlite3 builds its native addon in an install script, which needs a compiler and a minute: the
// project is installed with scripts off and gets the addon this checkout built (same version, same Node),
// as cli-pack.test.ts does. PICCOLO_TEST_PACK_FULL=1 runs the install scripts instead.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { baseEnv, root } from "./cli.js";
import { tempDir } from "./engines.js";

export interface Block {
  /** The page, relative to the checkout (`README.md`, `docs/api.md`), for messages. */
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  noRun?: string;
  stdin?: string;
  env: Record<string, string>;
}

const RUNNABLE = new Set(["ts", "typescript", "js", "javascript", "sh", "bash", "shell"]);

export function isRunnable(block: Block): boolean {
  return RUNNABLE.has(block.lang);
}

/** The fenced blocks of a Markdown text, with the doc-test markers on the lines just before each. */
export function markdownBlocks(markdown: string, page = "README.md"): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    const block: Block = { page, line: start + 1, lang: open[1]!.toLowerCase(), code: `${body.join("\n")}\n`, env: {} };
    for (let j = start - 1; j >= 0 && lines[j]!.startsWith("<!-- doc-test:"); j--) {
      const marker = /^<!-- doc-test: (no-run|stdin|env)(?: (.*))? -->$/.exec(lines[j]!);
      assert.ok(marker, `${page} line ${j + 1}: unknown doc-test marker ${lines[j]}`);
      const kind = marker![1]!;
      const value = marker![2] ?? "";
      if (kind === "no-run") {
        assert.match(value, /^\(.+\)$/, `${page} line ${j + 1}: a no-run says why, in parentheses`);
        block.noRun = value.slice(1, -1);
      } else if (kind === "stdin") block.stdin = JSON.parse(value) as string;
      else {
        const [name, ...rest] = value.split("=");
        block.env[name!] = rest.join("=");
      }
    }
    blocks.push(block);
  }
  return blocks;
}

/** The part of a Markdown text under one `## heading`, up to the next heading of that level or higher. */
export function section(markdown: string, heading: string): { text: string; firstLine: number } {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => line === `## ${heading}`);
  assert.ok(start >= 0, `no "## ${heading}" section`);
  let end = start + 1;
  for (let fenced = false; end < lines.length; end++) {
    if (/^```/.test(lines[end]!)) fenced = !fenced;
    else if (!fenced && /^#{1,2} /.test(lines[end]!)) break; // a shell comment in a block is no heading
  }
  return { text: lines.slice(start, end).join("\n"), firstLine: start };
}

export function readPage(page: string): string {
  return readFileSync(path.join(root, page), "utf8");
}

export interface RunResult {
  code: number | null;
  out: string;
}

export function run(
  command: string,
  args: string[],
  cwd: string,
  options: { input?: string; env?: Record<string, string> } = {},
): RunResult {
  const result = spawnSync(command, args, {
    cwd,
    input: options.input ?? "",
    encoding: "utf8",
    timeout: 300_000,
    env: projectEnv(options.env),
  });
  return { code: result.status, out: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}` };
}

/** The environment of a reader's shell in the project: npm quiet and offline-first, scripts off unless asked. */
export function projectEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return baseEnv({
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    npm_config_prefer_offline: "true",
    ...(process.env.PICCOLO_TEST_PACK_FULL === "1" ? {} : { npm_config_ignore_scripts: "true" }),
    ...extra,
  });
}

/** What better-sqlite3's install script builds, taken from this checkout (the project installs without scripts). */
export function provideSqliteAddon(app: string): void {
  if (process.env.PICCOLO_TEST_PACK_FULL === "1") return;
  const addon = "node_modules/better-sqlite3/build/Release/better_sqlite3.node";
  if (!existsSync(path.join(app, "node_modules/better-sqlite3")) || existsSync(path.join(app, addon))) return;
  const version = (dir: string) =>
    (JSON.parse(readFileSync(path.join(dir, "node_modules/better-sqlite3/package.json"), "utf8")) as { version: string }).version;
  assert.equal(version(app), version(root), "the same better-sqlite3 as this checkout");
  mkdirSync(path.dirname(path.join(app, addon)), { recursive: true });
  copyFileSync(path.join(root, addon), path.join(app, addon));
}

/**
 * A temporary folder holding `piccolo-ts/piccolo-ts-<version>.tgz` (this checkout, packed: the Quick
 * start's `npm pack`) and an empty `app/` beside it, where the Quick start's reader works.
 */
export function packedCheckoutAndProject(): { app: string; version: string } {
  const dir = tempDir();
  const checkout = path.join(dir, "piccolo-ts");
  const app = path.join(dir, "app");
  mkdirSync(checkout);
  mkdirSync(app);
  const packed = run("npm", ["pack", "--json", "--pack-destination", checkout], root);
  assert.equal(packed.code, 0, packed.out);
  const version = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
  assert.ok(existsSync(path.join(checkout, `piccolo-ts-${version}.tgz`)), packed.out);
  return { app, version };
}

/** Runs one block in the project as the page says; fails the test with the block and its output otherwise. */
export function runBlock(block: Block, app: string, fileName: string): void {
  const where = `${block.page} line ${block.line} (${block.lang})`;
  let result: RunResult;
  if (block.lang === "sh" || block.lang === "bash" || block.lang === "shell") {
    result = run("sh", ["-e", "-c", block.code], app, { input: block.stdin, env: block.env });
    provideSqliteAddon(app);
  } else {
    const javascript =
      block.lang === "js" || block.lang === "javascript"
        ? block.code
        : ts.transpileModule(block.code, {
            compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
          }).outputText;
    const file = path.join(app, fileName);
    writeFileSync(file, javascript);
    result = run(process.execPath, [file], app, { input: block.stdin, env: block.env });
  }
  assert.equal(result.code, 0, `${where} failed:\n${block.code}\n--- output ---\n${result.out}`);
}
