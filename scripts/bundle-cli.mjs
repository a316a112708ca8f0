#!/usr/bin/env node
// Bundles the `piccolo` command (dist/cli/main.js and everything it imports from dist/, Kysely's
// bundle and commander included) into one CommonJS file, dist/cli/piccolo.bundle.cjs, which the bin
// (dist/cli/entry.cjs, from src/cli/entry.cts) compiles with a V8 code cache.
//
// Why one CommonJS file: resolving, reading and compiling ~40 ES modules was most of a command's
// start-up, and Node 20 can reuse V8's compiled code only for scripts (vm.Script's cachedData), not
// for ES modules. The command modules stay lazy: esbuild turns `import("./commands/x.js")` into an
// initialiser that runs only when that command does. better-sqlite3's and pg's JavaScript is bundled
// too (pg's ~30 files cost a PostgreSQL command more than the rest of it); mysql2 and the libraries only
// some commands use (Hono and @hono/node-server for `admin`, @inquirer/password for hidden prompts,
// synckit for the …Sync API) stay outside the file and are required when used, from node_modules.
// The bin keeps one code cache per command and engine, so a SQLite run never loads pg's compiled code.
//
// dist/ keeps its modules (the library's API, the sync worker): every `import.meta.url` in the bundle
// still names the dist/ file the code came from, so relative paths (package.json, worker files, the
// vendored Kysely) resolve exactly as they do unbundled.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const outfile = path.join(dist, "cli/piccolo.bundle.cjs");

// Loaded from node_modules when (and only when) a command needs them.
const external = [
  // pg's optional native binding and its Cloudflare Workers socket: never used on Node.
  "pg-native",
  "pg-cloudflare",
  "mysql2",
  "hono",
  "hono/*",
  "@hono/node-server",
  "ioredis",
  "@inquirer/password",
  "synckit",
  "typescript",
  // The SQLite drivers built into Bun and Deno (src/engine/sqlite-bun.ts, sqlite-node.ts): required at
  // run time, on the runtime that has them.
  "bun:sqlite",
  "node:sqlite",
];

// Node built-ins that cost milliseconds to load and that a command may never use (commander requires
// child_process for a feature piccolo does not use; the CLI needs http only for `admin`): the bundle
// gets an object whose properties load the real module on first use.
const LAZY_BUILTINS = ["child_process", "crypto", "http", "net", "perf_hooks", "readline", "readline/promises", "worker_threads"];
const nodeRequire = createRequire(import.meta.url);

const lazyBuiltins = {
  name: "lazy-builtins",
  setup(build) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join("|").replaceAll("/", "\\/")})$`);
    build.onResolve({ filter }, (args) => {
      const name = args.path.replace(/^node:/, "");
      // The stand-in's own require of the real module.
      if (args.namespace === "lazy-builtin") return { path: `node:${name}`, external: true };
      return { path: name, namespace: "lazy-builtin" };
    });
    build.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => {
      // Every export name of the module in the Node that builds; the code bundled uses no other.
      const real = nodeRequire(`node:${args.path}`);
      const properties = Object.keys(real).map((name) => {
        const key = JSON.stringify(name);
        // A plain function (lower-case name; classes are left as getters) is replaced by one that
        // calls it, so that code wrapping it at import time (`promisify(pbkdf2)`) loads nothing yet.
        // Those with a custom promisified form (child_process.exec) keep it, loaded when asked for.
        if (typeof real[name] === "function" && /^[a-z]/.test(name)) {
          const custom = real[name][promisify.custom]
            ? `Object.defineProperty(f, require("node:util").promisify.custom, { get: () => load()[${key}][require("node:util").promisify.custom] }); `
            : "";
          return `${key}: { value: (() => { const f = function (...args) { return new.target ? Reflect.construct(load()[${key}], args, new.target) : load()[${key}].apply(this, args); }; ${custom}return f; })(), enumerable: true }`;
        }
        return `${key}: { get: () => load()[${key}], enumerable: true }`;
      });
      return {
        contents:
          `let loaded;\nconst load = () => loaded ?? (loaded = require(${JSON.stringify(`node:${args.path}`)}));\n` +
          `module.exports = Object.defineProperties({}, {\n${properties.join(",\n")}\n});\n`,
        loader: "js",
      };
    });
  },
};

// better-sqlite3's JavaScript (~15 small CommonJS files: resolving and loading them cost more than the
// rest of `user list`) goes into the bundle too. Its native addon must match that JavaScript, and the
// installed better-sqlite3 may be another 12.x than the one bundled here: so the bundle's require of
// "better-sqlite3" checks the installed version first and, when it differs, loads the installed
// package as before. When they match, the addon is the installed package's build/Release file (where
// npm's install puts it), else found by the `bindings` package as better-sqlite3 itself does.
const sqlitePackage = path.dirname(nodeRequire.resolve("better-sqlite3/package.json", { paths: [root] }));
const sqliteVersion = JSON.parse(readFileSync(path.join(sqlitePackage, "package.json"), "utf8")).version;
const SQLITE_REQUIRE = `
const { createRequire } = require("node:module");
const { readFileSync } = require("node:fs");
const path = require("node:path");
const BUNDLED_VERSION = ${JSON.stringify(sqliteVersion)};
let installedDir;

function installedSqlite(realRequire) {
  try {
    installedDir = path.dirname(realRequire.resolve("better-sqlite3/package.json"));
    const { version } = JSON.parse(readFileSync(path.join(installedDir, "package.json"), "utf8"));
    if (version === BUNDLED_VERSION) return require("better-sqlite3");
  } catch {
    // not resolvable here: the real require reports it as it would have
  }
  return realRequire("better-sqlite3");
}

/** createRequire, except that "better-sqlite3" may come from the bundle and pg does. */
exports.createRequire = (url) => {
  const realRequire = createRequire(url);
  const bundledRequire = (name) =>
    name === "better-sqlite3" ? installedSqlite(realRequire) : name === "pg" ? require("pg") : realRequire(name);
  return Object.assign(bundledRequire, { resolve: realRequire.resolve, cache: realRequire.cache });
};

/** The installed package's addon (what better-sqlite3 asks the bindings package for). */
exports.sqliteAddon = () => {
  try {
    return require(path.join(installedDir, "build", "Release", "better_sqlite3.node"));
  } catch {
    const bindings = createRequire(path.join(installedDir, "package.json"))("bindings");
    return bindings({ bindings: "better_sqlite3.node", module_root: installedDir });
  }
};
`;

const sqliteBundling = {
  name: "better-sqlite3",
  setup(build) {
    build.onResolve({ filter: /^piccolo:require$/ }, () => ({ path: "require", namespace: "piccolo" }));
    build.onLoad({ filter: /.*/, namespace: "piccolo" }, () => ({ contents: SQLITE_REQUIRE, loader: "js", resolveDir: root }));
    build.onLoad({ filter: /[\\/]better-sqlite3[\\/]lib[\\/]database\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      const contents = source.replace(/require\(['"]bindings['"]\)\(['"]better_sqlite3\.node['"]\)/, 'require("piccolo:require").sqliteAddon()');
      if (contents === source) throw new Error(`${args.path}: no require('bindings')('better_sqlite3.node') to replace`);
      return { contents, loader: "js" };
    });
  },
};

/** Rewrites each dist/ module's `import.meta.url` to its own file's URL, computed from the bundle's place. */
const distUrls = {
  name: "dist-urls",
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist + path.sep)) return undefined;
      let contents = readFileSync(args.path, "utf8");
      // What a module requires by a literal name through createRequire (the vendored Kysely, commander)
      // is bundled too, unless it is external: createRequire hides it from esbuild.
      contents = contents.replace(
        /createRequire\(import\.meta\.url\)\((["'])([^"'\n]+)\1\)/g,
        (_, quote, name) => `require(${quote}${name}${quote})`,
      );
      // Drivers are required by a name in a variable: better-sqlite3 may come from the bundle.
      if (/createRequire\(import\.meta\.url\)/.test(contents)) {
        contents = 'import { createRequire as __piccoloCreateRequire } from "piccolo:require";\n' +
          contents.replaceAll("createRequire(import.meta.url)", "__piccoloCreateRequire(import.meta.url)");
      }
      // import() of what is not bundled (a config file, @inquirer/password, @hono/node-server) goes
      // through the bin: code compiled by vm.Script from a code cache has no import() of its own.
      contents = contents.replace(/(?<![\w$.])import\((?!\s*["']\.)/g, "__piccoloImport(");
      const relative = path.relative(path.join(dist, "cli"), args.path).split(path.sep).join("/");
      contents = contents.replaceAll("import.meta.url", `__piccoloDistUrl(${JSON.stringify(relative)})`);
      return { contents, loader: "js" };
    });
  },
};

const result = await build({
  entryPoints: [path.join(dist, "cli/main.js")],
  outfile,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external,
  plugins: [distUrls, lazyBuiltins, sqliteBundling],
  logLevel: "warning",
  legalComments: "inline",
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  write: false,
});

// One first line (so line numbers stay esbuild's): the build's name, strict mode for the whole file as
// the ES modules had it, and the helper the rewritten `import.meta.url`s call.
const code = result.outputFiles[0].text.replace(/^#!.*\n/, "");
const id = createHash("sha256").update(code).digest("hex").slice(0, 16);
const head =
  `/* piccolo-ts cli build ${id} (scripts/bundle-cli.mjs) */ "use strict"; ` +
  'var __piccoloDistUrl = (file) => require("node:url").pathToFileURL(require("node:path").join(__dirname, file)).href; ' +
  'var __piccoloImport = (specifier) => (typeof __piccoloHostImport === "function" ? __piccoloHostImport(specifier) : import(specifier)); ';
// The code cache is keyed by the build id (V8 itself checks only the source's length).
writeFileSync(outfile, head + code);
