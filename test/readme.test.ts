// The README as a doc-test: every ```ts, ```js and ```sh block runs as written, in order, in one new
// project next to a packed copy of this checkout (the layout the Quick start describes), on SQLite.
//
// Markers, an HTML comment on the line before a block (invisible on GitHub):
//   <!-- doc-test: no-run (why) -->          not run; the reason is required
//   <!-- doc-test: stdin "a\nb\n" -->      the block's standard input (answers to the questions it asks)
//   <!-- doc-test: env NAME=value -->      an environment variable the block expects the reader to have
// ts blocks are transpiled with TypeScript's transpileModule (types are erased, not checked) and run as
// ES modules with node; js blocks run as they are; sh blocks run with `sh -e`.
//
// better-sqlite3 builds its native addon in an install script, which needs a compiler and a minute: the
// harness installs with scripts off and copies the addon this checkout built (same version, same Node),
// as cli-pack.test.ts does. PICCOLO_TEST_PACK_FULL=1 runs the install scripts instead.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { tempDir } from "./support/engines.js";
import { baseEnv, root } from "./support/cli.js";

interface Block {
  line: number;
  lang: string;
  code: string;
  noRun?: string;
  stdin?: string;
  env: Record<string, string>;
}

const RUNNABLE = new Set(["ts", "typescript", "js", "javascript", "sh", "bash", "shell"]);

/** The fenced blocks of a Markdown text, with the doc-test markers on the lines just before each. */
export function readmeBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    const block: Block = { line: start + 1, lang: open[1]!.toLowerCase(), code: `${body.join("\n")}\n`, env: {} };
    for (let j = start - 1; j >= 0 && lines[j]!.startsWith("<!-- doc-test:"); j--) {
      const marker = /^<!-- doc-test: (no-run|stdin|env)(?: (.*))? -->$/.exec(lines[j]!);
      assert.ok(marker, `README line ${j + 1}: unknown doc-test marker ${lines[j]}`);
      const kind = marker![1]!;
      const value = marker![2] ?? "";
      if (kind === "no-run") {
        assert.match(value, /^\(.+\)$/, `README line ${j + 1}: a no-run says why, in parentheses`);
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

function run(command: string, args: string[], cwd: string, options: { input?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(command, args, {
    cwd,
    input: options.input ?? "",
    encoding: "utf8",
    timeout: 300_000,
    env: baseEnv({
      npm_config_update_notifier: "false",
      npm_config_fund: "false",
      npm_config_audit: "false",
      npm_config_prefer_offline: "true",
      ...(process.env.PICCOLO_TEST_PACK_FULL === "1" ? {} : { npm_config_ignore_scripts: "true" }),
      ...options.env,
    }),
  });
  return { code: result.status, out: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}` };
}

/** What better-sqlite3's install script builds, taken from this checkout (the doc-test installs without scripts). */
function provideSqliteAddon(app: string): void {
  if (process.env.PICCOLO_TEST_PACK_FULL === "1") return;
  const addon = "node_modules/better-sqlite3/build/Release/better_sqlite3.node";
  if (!existsSync(path.join(app, "node_modules/better-sqlite3")) || existsSync(path.join(app, addon))) return;
  const version = (dir: string) =>
    (JSON.parse(readFileSync(path.join(dir, "node_modules/better-sqlite3/package.json"), "utf8")) as { version: string }).version;
  assert.equal(version(app), version(root), "the same better-sqlite3 as this checkout");
  mkdirSync(path.dirname(path.join(app, addon)), { recursive: true });
  copyFileSync(path.join(root, addon), path.join(app, addon));
}

test("the doc-test markers are read: no-run needs a reason, stdin and env are taken", () => {
  const blocks = readmeBlocks(
    'text\n<!-- doc-test: no-run (a server) -->\n```sh\nnpx serve\n```\n<!-- doc-test: env A=b=c -->\n<!-- doc-test: stdin "x\\ny\\n" -->\n```ts\nlet a = 1;\n```\n```console\n$ x\n```\n',
  );
  assert.deepEqual(
    blocks.map((b) => [b.lang, b.noRun, b.stdin, b.env]),
    [["sh", "a server", undefined, {}], ["ts", undefined, "x\ny\n", { A: "b=c" }], ["console", undefined, undefined, {}]],
  );
  assert.throws(() => readmeBlocks("<!-- doc-test: no-run -->\n```sh\nx\n```\n"), /a no-run says why/);
});

test("every ts, js and sh block of the README runs as written, in order, in a new project (SQLite)", { timeout: 900_000 }, () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const blocks = readmeBlocks(readme).filter((block) => RUNNABLE.has(block.lang));
  const dir = tempDir();
  const checkout = path.join(dir, "piccolo-ts");
  const app = path.join(dir, "app");
  mkdirSync(checkout);
  mkdirSync(app);

  // `npm pack` in the checkout (the Quick start's first block, run here on this checkout).
  const packed = run("npm", ["pack", "--json", "--pack-destination", checkout], root);
  assert.equal(packed.code, 0, packed.out);
  const version = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
  assert.ok(existsSync(path.join(checkout, `piccolo-ts-${version}.tgz`)), packed.out);
  assert.ok(readme.includes(`piccolo-ts-${version}.tgz`), `the README names the tarball of version ${version}`);

  const ran: number[] = [];
  for (const [index, block] of blocks.entries()) {
    if (block.noRun !== undefined) continue;
    const where = `README line ${block.line} (${block.lang})`;
    let result: { code: number | null; out: string };
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
      const file = path.join(app, `readme-block-${index + 1}.mjs`);
      writeFileSync(file, javascript);
      result = run(process.execPath, [file], app, { input: block.stdin, env: block.env });
    }
    assert.equal(result.code, 0, `${where} failed:\n${block.code}\n--- output ---\n${result.out}`);
    ran.push(block.line);
  }
  // The Quick start, the API, typed tables, migrations, sessions, Hono, Express and the admin all ran.
  assert.ok(ran.length >= 12, `only ${ran.length} blocks ran: ${ran.join(", ")}`);
});
