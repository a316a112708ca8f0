// The architecture as a test: src/ is layered engine < migrations < password < user < session < admin <
// cli, and a file imports only from its own layer or lower ones (password/ is PBKDF2, the hash pool and
// the imported formats: it knows nothing of users). Outside the layers: src/errors.ts and its table src/error-codes.ts (importable by
// every file), src/apps.ts (the migration-app registry, above the apps it lists: imported only by the CLI
// and the public index) and src/index.ts (the public API, imported by nobody inside src). Engine facts
// belong to src/engine/: no other file compares `engine === "…"`.
//
// The import graph is read from the sources with TypeScript's own pre-processor (static imports,
// `export … from`, dynamic `import("…")`, and `import type` too), so a lazily loaded module counts too.
// The same graph must have no cycle, type-only imports included: two files that need each other are
// one module in two places, and whoever changes one has to read both.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { root } from "./support/cli.js";

const SRC = path.join(root, "src");
const LAYERS = ["engine", "migrations", "password", "user", "session", "admin", "cli"] as const;

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) files.push(...sourceFiles(file));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) files.push(file);
  }
  return files.sort();
}

/** The file's place: a layer index, or one of the files outside the layers. */
type Place = { layer: number } | { outside: "errors" | "apps" | "index" };

function placeOf(file: string): Place {
  const relative = path.relative(SRC, file).split(path.sep).join("/");
  if (relative === "errors.ts" || relative === "error-codes.ts") return { outside: "errors" };
  if (relative === "apps.ts") return { outside: "apps" };
  if (relative === "index.ts") return { outside: "index" };
  const layer = LAYERS.indexOf(relative.split("/")[0] as (typeof LAYERS)[number]);
  if (layer < 0) throw new Error(`src/${relative} is in no layer: put it in one (or extend this test on purpose)`);
  return { layer };
}

const show = (file: string) => path.relative(root, file).split(path.sep).join("/");

/** The src/ files a file imports (relative specifiers only; packages are not layers). */
function importsOf(file: string): { specifier: string; target: string }[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  const found: { specifier: string; target: string }[] = [];
  for (const { fileName: specifier } of info.importedFiles) {
    if (!specifier.startsWith(".")) continue;
    const resolved = path.resolve(path.dirname(file), specifier);
    const candidates = [resolved.replace(/\.js$/, ".ts"), `${resolved}.ts`, path.join(resolved, "index.ts")];
    const target = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
    // A specifier that leaves src/ (or names nothing) is not an import between layers.
    if (target && target.startsWith(SRC + path.sep)) found.push({ specifier, target });
  }
  return found;
}

/** Why `from` may not import `to`, or null when it may. */
function violation(from: Place, to: Place): string | null {
  if ("outside" in to) {
    if (to.outside === "errors") return null;
    if (to.outside === "index") return "src/index.ts is the public API: nothing inside src imports it";
    // apps.ts lists the apps of every layer, so only what sits above them all may use it.
    if ("outside" in from) return from.outside === "index" ? null : "only the CLI and src/index.ts import src/apps.ts";
    return from.layer === LAYERS.indexOf("cli") ? null : "only the CLI and src/index.ts import src/apps.ts";
  }
  if ("outside" in from) {
    if (from.outside === "errors") return "src/errors.ts is below every layer: it imports none";
    return null; // apps.ts and index.ts import from every layer
  }
  return to.layer > from.layer ? `${LAYERS[from.layer]} is below ${LAYERS[to.layer]}` : null;
}

/**
 * The import cycles of a graph: each strongly connected component of more than one file, or a file that
 * imports itself (Tarjan's algorithm), as its files sorted.
 */
function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const lowest = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    lowest.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        lowest.set(file, Math.min(lowest.get(file)!, lowest.get(next)!));
      } else if (onStack.has(next)) {
        lowest.set(file, Math.min(lowest.get(file)!, index.get(next)!));
      }
    }
    if (lowest.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component.sort());
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);
  return cycles;
}

test("the layer rules hold for a made-up graph (the checker itself can fail)", () => {
  const at = (name: string): Place => placeOf(path.join(SRC, name));
  assert.match(violation(at("migrations/runner.ts"), at("user/base-user.ts")) ?? "", /migrations is below user/);
  assert.match(violation(at("engine/connect.ts"), at("cli/main.ts")) ?? "", /engine is below cli/);
  assert.match(violation(at("admin/app.ts"), at("apps.ts")) ?? "", /only the CLI/);
  assert.match(violation(at("user/login.ts"), at("index.ts")) ?? "", /public API/);
  assert.equal(violation(at("cli/main.ts"), at("apps.ts")), null);
  assert.equal(violation(at("apps.ts"), at("session/index.ts")), null);
  assert.equal(violation(at("session/store.ts"), at("user/base-user.ts")), null);
  assert.equal(violation(at("engine/connect.ts"), at("errors.ts")), null);
});

test("no file in src/ imports from a higher layer", () => {
  const files = sourceFiles(SRC);
  assert.ok(files.length > 20, `only ${files.length} source files found under ${SRC}`);
  const problems: string[] = [];
  let edges = 0;
  for (const file of files) {
    const from = placeOf(file);
    for (const { specifier, target } of importsOf(file)) {
      edges++;
      const why = violation(from, placeOf(target));
      if (why) problems.push(`${show(file)} imports "${specifier}" (${show(target)}): ${why}`);
    }
  }
  assert.ok(edges > files.length, `only ${edges} imports read from ${files.length} files: the reader is broken`);
  assert.deepEqual(problems, [], `imports against the layers:\n${problems.join("\n")}`);
});

test("no `engine ===` / `engine !==` comparison outside src/engine/ (engine facts live on the dialects)", () => {
  const problems: string[] = [];
  for (const file of sourceFiles(SRC)) {
    if (path.relative(SRC, file).split(path.sep)[0] === "engine") continue;
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        // `engine === "mysql"`, `db.engine !== 'sqlite'`, `"postgres" === engine`…
        if (/\bengine\s*[!=]==|[!=]==\s*[\w.]*\bengine\b/.test(line.replace(/\/\/.*$/, ""))) {
          problems.push(`${show(file)}:${i + 1}: ${line.trim()}`);
        }
      });
  }
  assert.deepEqual(problems, [], `engine comparisons outside src/engine/:\n${problems.join("\n")}`);
});

test("no file of src/session/ is over 250 lines (the session layer stays small modules)", () => {
  const long = sourceFiles(path.join(SRC, "session"))
    .map((file) => ({ file: show(file), lines: readFileSync(file, "utf8").split("\n").length - 1 }))
    .filter(({ lines }) => lines > 250);
  assert.deepEqual(long, []);
});

test("the cycle finder sees type-only imports and finds a made-up cycle (the checker itself can fail)", () => {
  const listed = ts.preProcessFile('import type { A } from "./a.js";\nexport type { B } from "./b.js";\nconst c = () => import("./c.js");', true, true);
  assert.deepEqual(listed.importedFiles.map((file) => file.fileName), ["./a.js", "./b.js", "./c.js"]);
  const graph = new Map([
    ["a", ["b"]],
    ["b", ["c", "d"]],
    ["c", ["a"]],
    ["d", ["d"]],
    ["e", ["a"]],
  ]);
  assert.deepEqual(cyclesOf(graph), [["d"], ["a", "b", "c"]]);
  assert.deepEqual(cyclesOf(new Map([["a", ["b"]], ["b", []]])), []);
});

test("no import cycle in src/, type-only imports included", () => {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) graph.set(show(file), importsOf(file).map(({ target }) => show(target)));
  const cycles = cyclesOf(graph).map((cycle) => cycle.join(" ↔ "));
  assert.deepEqual(cycles, [], "import cycles in src/");
});
