// piccolo.config.ts is read the same whatever TypeScript the project has: 5 (a JavaScript API), 7 (none:
// `npm i -D typescript` installs it today) or no TypeScript at all; and the config may import other
// TypeScript files. Each case is a new project folder with its own node_modules, driven through the CLI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tempDir } from "./support/engines.js";
import { baseEnv, piccolo } from "./support/cli.js";

function npmInstall(cwd: string, spec: string): void {
  const result = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", spec], {
    cwd,
    env: baseEnv({ npm_config_update_notifier: "false" }),
    encoding: "utf8",
    timeout: 300_000,
  });
  assert.equal(result.status, 0, `npm install ${spec} failed:\n${result.stdout}\n${result.stderr}`);
}

/** A project whose config imports a .ts module and uses TypeScript-only syntax in both files. */
function project(typescript: string | null): string {
  const dir = tempDir();
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "config-app", version: "1.0.0", private: true }));
  if (typescript) npmInstall(dir, `typescript@${typescript}`);
  mkdirSync(path.join(dir, "settings"));
  writeFileSync(
    path.join(dir, "settings/paths.ts"),
    'export type Engine = "sqlite";\nexport const dataFolder: string = "data";\nexport enum Files { Main = "app.sqlite" }\n',
  );
  writeFileSync(
    path.join(dir, "piccolo.config.ts"),
    [
      'import { dataFolder, Files, type Engine } from "./settings/paths";',
      'const engine: Engine = "sqlite";',
      "interface Config { database: string }",
      "export default { database: `${engine}:${dataFolder}/${Files.Main}` } satisfies Config;",
      "",
    ].join("\n"),
  );
  mkdirSync(path.join(dir, "data"));
  return dir;
}

function installedMajor(dir: string): number | null {
  const file = path.join(dir, "node_modules/typescript/package.json");
  if (!existsSync(file)) return null;
  return Number((JSON.parse(readFileSync(file, "utf8")) as { version: string }).version.split(".")[0]);
}

for (const [label, typescript, major] of [
  ["TypeScript 5 installed", "5", 5],
  ["TypeScript 7 installed (no JavaScript API)", "7", 7],
  ["no TypeScript installed", null, null],
] as const) {
  test(`piccolo.config.ts with ${label}: read, its imports resolved, the database it names used`, async () => {
    const dir = project(typescript);
    assert.equal(installedMajor(dir), major, "the project has the TypeScript this case is about");

    const migrated = await piccolo(["migrations", "forwards", "user"], { cwd: dir });
    assert.equal(migrated.code, 0, `${migrated.stdout}\n${migrated.stderr}`);
    assert.ok(existsSync(path.join(dir, "data/app.sqlite")), "the file the config names (through its import)");
    assert.ok(!existsSync(path.join(dir, "piccolo.sqlite")), "not the default");

    const listed = await piccolo(["user", "list", "--json"], { cwd: dir });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), []);
  });
}

test("a piccolo.config.ts that does not compile names the file and the problem, exit 1", async () => {
  const dir = project(null);
  writeFileSync(path.join(dir, "piccolo.config.ts"), "export default { database: ; }\n");
  const result = await piccolo(["user", "list"], { cwd: dir });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /^The command failed\. Cannot read piccolo\.config\.ts: /);
  assert.ok(!existsSync(path.join(dir, "piccolo.sqlite")));
});
