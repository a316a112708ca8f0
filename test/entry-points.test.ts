// The package's three entry points, as a user installs them: `piccolo-ts` (users, hashing, migrations,
// databases, errors), `piccolo-ts/session` and `piccolo-ts/admin`. The root is a curated list of at most 60
// names, and importing it loads no Hono: a loader hook (node:module `register`, run by `--import`) records
// every URL resolved while a packed and installed copy is imported, and the CommonJS cache is read too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { root } from "./support/cli.js";
import { packedCheckoutAndProject, provideSqliteAddon, readPage, run, section } from "./support/doc-blocks.js";

const ENTRIES = ["src/index.ts", "src/session/index.ts", "src/admin/index.ts"].map((entry) => path.join(root, entry));
let program: ts.Program | undefined;

/** The names a module of src/ exports, types included, as TypeScript sees them (one program for the three). */
function exportedNames(entry: string): string[] {
  program ??= ts.createProgram(ENTRIES, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(path.join(root, entry))!);
  assert.ok(symbol, entry);
  return checker.getExportsOfModule(symbol).map((exported) => exported.name).sort();
}

const INTERNALS = ["headAsGet", "MemoryAttemptStore", "LimitedBucket", "NativeKernel", "DriverError", "safeRedirect", "sessionAuthApp", "digestSessionToken"];

test("the root exports a curated list: at most 60 names, no internals, nothing of the session layer or the admin", () => {
  const names = exportedNames("src/index.ts");
  assert.ok(names.length <= 60, `src/index.ts exports ${names.length} names: ${names.join(", ")}`);
  for (const name of ["BaseUser", "hashPassword", "configureHashing", "migrateForwards", "openDatabase", "PiccoloError", "ConfigError", "PICCOLO_ERROR_CODES"]) {
    assert.ok(names.includes(name), `the root lacks ${name}`);
  }
  const session = exportedNames("src/session/index.ts");
  const admin = exportedNames("src/admin/index.ts");
  for (const name of [...INTERNALS, "createSessionAuth", "SessionStore", "createAdminApp"]) assert.ok(!names.includes(name), `the root exports ${name}`);
  for (const name of INTERNALS) assert.ok(!session.includes(name) && !admin.includes(name), `a subpath exports the internal ${name}`);
  assert.ok(session.includes("createSessionAuth") && session.includes("SessionStore") && admin.includes("createAdminApp"));
  // One name, one entry point: a reader never wonders which of two imports to use.
  for (const name of session) assert.ok(!names.includes(name) && !admin.includes(name), `${name} is exported twice`);
});

test("docs/api.md's Entry points table names every export of the three entry points", () => {
  const { text } = section(readPage("docs/api.md"), "Entry points");
  const rows = ["piccolo-ts", "piccolo-ts/session", "piccolo-ts/admin"].map((name) => text.split("\n").find((line) => line.startsWith(`| \`${name}\` |`)) ?? "");
  const entries = ["src/index.ts", "src/session/index.ts", "src/admin/index.ts"];
  entries.forEach((entry, i) => {
    // The root's row sends the error classes to the Errors section; the rest are named in the row.
    const missing = exportedNames(entry).filter((name) => !rows[i]!.includes(`\`${name}\``) && !(i === 0 && /Error$/.test(name)));
    assert.deepEqual(missing, [], `${entry}: exported but not in docs/api.md's Entry points`);
  });
});

/** Recorded by the hook: every URL the ESM loader resolved, one a line. */
const HOOKS = `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(process.env.RESOLVED_LOG, resolved.url + "\\n");
  return resolved;
}
`;

const PROBE = `import { register, createRequire } from "node:module";
import { appendFileSync } from "node:fs";
register("./hooks.mjs", import.meta.url);
const entry = process.argv[2];
const loaded = await import(entry);
// CommonJS modules (a require() from a package) bypass the ESM hooks: their cache says what loaded.
const cached = Object.keys(createRequire(import.meta.url).cache).map((file) => "file://" + file);
appendFileSync(process.env.RESOLVED_LOG, cached.join("\\n") + "\\n");
console.log(JSON.stringify(Object.keys(loaded).sort()));
`;

const HONO = /\/node_modules\/(hono|@hono\/[^/]+)\//;

test("installed from the packed tarball: importing piccolo-ts loads no Hono; piccolo-ts/session and piccolo-ts/admin resolve, with types", { timeout: 600_000 }, () => {
  const { app, version } = packedCheckoutAndProject();
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "entry-points-app", version: "1.0.0", private: true, type: "module" }));
  const install = run("npm", ["install", "--no-audit", "--no-fund", `../piccolo-ts/piccolo-ts-${version}.tgz`], app);
  assert.equal(install.code, 0, install.out);
  provideSqliteAddon(app);
  writeFileSync(path.join(app, "hooks.mjs"), HOOKS);
  writeFileSync(path.join(app, "probe.mjs"), PROBE);

  const importing = (entry: string): { names: string[]; resolved: string[] } => {
    const log = path.join(app, `resolved-${entry.replace(/\W/g, "_")}.log`);
    const result = run(process.execPath, ["probe.mjs", entry], app, { env: { RESOLVED_LOG: log } });
    assert.equal(result.code, 0, `import("${entry}") failed:\n${result.out}`);
    const resolved = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
    return { names: JSON.parse(result.out.trim().split("\n").at(-1)!) as string[], resolved };
  };

  const installed = `/node_modules/piccolo-ts/dist/`;
  const rootImport = importing("piccolo-ts");
  assert.ok(rootImport.names.includes("BaseUser") && rootImport.names.includes("hashPassword"), rootImport.names.join(", "));
  // The hook saw the package load (it works), from the installed copy, and no module of Hono.
  assert.ok(rootImport.resolved.some((url) => url.endsWith(`${installed}index.js`)), `the hook recorded no piccolo-ts:\n${rootImport.resolved.join("\n")}`);
  assert.ok(rootImport.resolved.some((url) => url.includes(`${installed}user/`)), "the user layer loaded from the installed copy");
  const hono = rootImport.resolved.filter((url) => HONO.test(url));
  assert.deepEqual(hono, [], "importing piccolo-ts loaded Hono");
  assert.ok(!rootImport.resolved.some((url) => url.includes(`${installed}session/index.js`) || url.includes(`${installed}admin/index.js`)), "the root loaded a subpath's index");

  const session = importing("piccolo-ts/session");
  assert.ok(session.names.includes("createSessionAuth") && session.names.includes("SessionStore"), session.names.join(", "));
  assert.ok(session.resolved.some((url) => url.endsWith(`${installed}session/index.js`)));
  // The same hook does see Hono when a module loads it: the assertion on the root can fail.
  assert.ok(session.resolved.some((url) => HONO.test(url)), "the session layer loads Hono, and the hook saw it");
  const admin = importing("piccolo-ts/admin");
  assert.deepEqual(admin.names, ["LAST_SUPERUSER_MESSAGE", "SUPERUSER_ONLY_MESSAGE", "createAdminApp"]);
  assert.ok(admin.resolved.some((url) => url.endsWith(`${installed}admin/index.js`)));

  // A user's TypeScript resolves each subpath's types through `exports`: right imports compile, an
  // internal one is an error (the directive would itself be an error if it compiled).
  mkdirSync(path.join(app, "typed"));
  writeFileSync(
    path.join(app, "typed/check.ts"),
    [
      'import { BaseUser, ConfigError, type PiccoloErrorCode } from "piccolo-ts";',
      'import { createSessionAuth, type SessionAuthOptions } from "piccolo-ts/session";',
      'import { createAdminApp } from "piccolo-ts/admin";',
      "// @ts-expect-error internals are not exported",
      'import { headAsGet } from "piccolo-ts/session";',
      'const options: SessionAuthOptions = { userClass: BaseUser };',
      "const code: PiccoloErrorCode = new ConfigError(\"x\").code;",
      "void createSessionAuth(options); void createAdminApp; void code; void headAsGet;",
      "",
    ].join("\n"),
  );
  writeFileSync(
    path.join(app, "typed/tsconfig.json"),
    JSON.stringify({
      compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", noEmit: true, skipLibCheck: true, types: [] },
      files: ["check.ts"],
    }),
  );
  const tsc = run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "typed/tsconfig.json"], app);
  assert.equal(tsc.code, 0, `the subpaths' types do not resolve:\n${tsc.out}`);
});
