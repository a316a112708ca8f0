// The documentation as a doc-test: every ```ts, ```js and ```sh block of README.md and of docs/*.md runs as
// written, in order (the README, then the manual's pages in the order of docs/README.md, the index), in one
// new project next to a packed copy of this checkout, on SQLite. Every other block says why it does not run.
// Also checked, without running anything: the README's length, that every page is in the index, that every
// link between the pages lands on a file and a heading, and that docs/environment.md names every
// environment variable the package reads. Markers and machinery: test/support/doc-blocks.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, existsSync, statSync } from "node:fs";
import path from "node:path";
import { root } from "./support/cli.js";
import { isRunnable, markdownBlocks, packedCheckoutAndProject, readPage, runBlock } from "./support/doc-blocks.js";

/** The manual's pages in the index's order (docs/README.md links each once). */
function manualPages(): string[] {
  const index = readPage("docs/README.md");
  const linked = [...index.matchAll(/\]\(([\w-]+\.md)\)/g)].map((match) => `docs/${match[1]}`);
  return [...new Set(linked)];
}

const pages = ["README.md", "docs/README.md", ...manualPages()];

test("the doc-test markers are read: no-run needs a reason, stdin and env are taken", () => {
  const blocks = markdownBlocks(
    'text\n<!-- doc-test: no-run (a server) -->\n```sh\nnpx serve\n```\n<!-- doc-test: env A=b=c -->\n<!-- doc-test: stdin "x\\ny\\n" -->\n```ts\nlet a = 1;\n```\n```console\n$ x\n```\n',
  );
  assert.deepEqual(
    blocks.map((b) => [b.lang, b.noRun, b.stdin, b.env]),
    [["sh", "a server", undefined, {}], ["ts", undefined, "x\ny\n", { A: "b=c" }], ["console", undefined, undefined, {}]],
  );
  assert.throws(() => markdownBlocks("<!-- doc-test: no-run -->\n```sh\nx\n```\n"), /a no-run says why/);
});

test("the README is a front door: at most 250 lines, opening with the two commands", () => {
  const readme = readPage("README.md");
  const lines = readme.split("\n").length - (readme.endsWith("\n") ? 1 : 0);
  assert.ok(lines <= 250, `README.md has ${lines} lines`);
  const first = markdownBlocks(readme)[0]!;
  assert.match(first.code, /^npm ci && npm run demo\b/m);
  assert.match(first.code, /^npm test\b.*PostgreSQL and MariaDB.*\.ci\/run/m);
  assert.match(readme, /Node\.js \*\*20\.19 or later\*\*/);
  const engines = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
  assert.equal(engines, ">=20.19", "the README states package.json's engines");
});

test("every page of docs/ is in the index, and every code block runs or says why not", () => {
  const onDisk = readdirSync(path.join(root, "docs"))
    .filter((name) => name.endsWith(".md") && name !== "README.md")
    .map((name) => `docs/${name}`)
    .sort();
  assert.deepEqual([...manualPages()].sort(), onDisk, "docs/README.md links every page of docs/ once");
  for (const page of pages) {
    for (const block of markdownBlocks(readPage(page), page)) {
      assert.ok(
        isRunnable(block) || block.noRun !== undefined,
        `${page} line ${block.line}: a \`\`\`${block.lang || "(no language)"} block does not run: mark it <!-- doc-test: no-run (why) -->`,
      );
    }
  }
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, "utf8").replace(/^```[\s\S]*?^```/gm, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchor(match[1]!)));
}

test("every link between the pages lands on a file, and on a heading when it names one", () => {
  for (const page of pages) {
    const text = readPage(page).replace(/^```[\s\S]*?^```/gm, "");
    for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1]!;
      if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
      const [file, hash] = target.split("#") as [string, string | undefined];
      const resolved = file === "" ? path.join(root, page) : path.resolve(path.dirname(path.join(root, page)), file);
      assert.ok(existsSync(resolved), `${page}: the link ${target} leads nowhere`);
      if (hash !== undefined && statSync(resolved).isFile() && resolved.endsWith(".md")) {
        assert.ok(anchorsOf(resolved).has(hash), `${page}: the link ${target} names no heading of ${path.relative(root, resolved)}`);
      }
    }
  }
});

test("docs/environment.md names every environment variable the package and its scripts read", () => {
  const sources: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (/\.(ts|cts|mts|mjs|js|sh)$/.test(entry.name)) sources.push(relative);
    }
  };
  for (const dir of ["src", "scripts", "examples"]) walk(dir);
  sources.push("native/build.mjs", ".ci/run");
  const names = new Set<string>();
  for (const file of sources) {
    const text = readFileSync(path.join(root, file), "utf8").replace(/^\s*(\/\/|\*|#).*$/gm, ""); // not in comments
    for (const match of text.matchAll(/process\.env\.([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(match[1]!);
    for (const match of text.matchAll(/["'`](PICCOLO_[A-Z0-9_]+)["'`]/g)) names.add(match[1]!);
    for (const match of text.matchAll(/\$\{([A-Z_][A-Z0-9_]*):-/g)) names.add(match[1]!);
  }
  assert.ok(names.has("DATABASE_URL") && names.has("PICCOLO_HASH_THREADS") && names.has("PICCOLO_NATIVE_HASH"), [...names].join(", "));
  const table = readPage("docs/environment.md");
  const missing = [...names].filter((name) => !table.includes(`\`${name}\``));
  assert.deepEqual(missing, [], "variables read but not in docs/environment.md");
});

test("every runnable block of the README and docs/ runs as written, in order, in a new project (SQLite)", { timeout: 1_200_000 }, () => {
  const { app, version } = packedCheckoutAndProject();
  assert.ok(readPage("README.md").includes(`piccolo-ts-${version}.tgz`), `the README names the tarball of version ${version}`);
  const ran: string[] = [];
  let index = 0;
  for (const page of pages) {
    for (const block of markdownBlocks(readPage(page), page)) {
      if (!isRunnable(block) || block.noRun !== undefined) continue;
      index++;
      runBlock(block, app, `doc-block-${index}.mjs`);
      ran.push(`${page}:${block.line}`);
    }
  }
  // The Quick start, the tour, and every page with examples: API, CLI, database, migrations, sessions (Hono,
  // Express), admin, moving, opt-ins, hashing.
  for (const page of ["README.md", "docs/api.md", "docs/cli.md", "docs/sessions.md", "docs/admin.md", "docs/moving.md", "docs/opt-ins.md"]) {
    assert.ok(ran.some((where) => where.startsWith(`${page}:`)), `no block of ${page} ran`);
  }
  assert.ok(ran.length >= 25, `only ${ran.length} blocks ran: ${ran.join(", ")}`);
});
