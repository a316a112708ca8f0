#!/usr/bin/env node
// Runs the compiled test files (build/test/**/*.test.js) with Node's test runner against every engine, then
// again through the cluster variants:
//   - sqlite, postgres, mysql: every test file, once (the main pass);
//   - pgbouncer: the whole PostgreSQL suite again, with the tests' URLs pointing at PgBouncer in transaction
//     mode (scripts/pgbouncer.sh, 127.0.0.1:6432); the databases are still created on the real server;
//   - galera: the cluster tests and the session tests on the 3-node Galera cluster (scripts/galera.sh), with a
//     multi-host URL that spreads requests over the nodes.
// Each run gets its own databases (named after the run) and drops them after.
// PICCOLO_TEST_ENGINES=sqlite,postgres,pgbouncer chooses outside CI (default: sqlite,postgres,mysql); on CI
// (CI=true) every engine and variant must answer, and a skipped test or suite fails the run.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";

const root = path.resolve(import.meta.dirname, "..");
const onCi = process.env.CI === "true";
const ENGINES = ["sqlite", "postgres", "mysql"];
const VARIANTS = ["pgbouncer", "galera"];
const everything = [...ENGINES, ...VARIANTS];
const wanted = (process.env.PICCOLO_TEST_ENGINES ?? "sqlite,postgres,mysql").split(",").map((s) => s.trim()).filter(Boolean);
const unknown = wanted.filter((name) => !everything.includes(name));
if (unknown.length) {
  console.error(`Unknown engine or variant ${unknown.join(", ")} in PICCOLO_TEST_ENGINES (known: ${everything.join(", ")}).`);
  process.exit(2);
}
if (onCi && everything.some((name) => !wanted.includes(name)) && process.env.PICCOLO_TEST_ENGINES) {
  console.error("On CI every engine and variant runs: unset PICCOLO_TEST_ENGINES.");
  process.exit(1);
}
const chosen = onCi ? everything : wanted;
const runId = `pt_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
const pgAdmin = process.env.TEST_POSTGRES_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const myAdmin = process.env.TEST_MYSQL_ADMIN_URL ?? "mysql://root@127.0.0.1:3306/test";
const pgbouncer = process.env.TEST_PGBOUNCER_URL ?? "postgres://postgres@127.0.0.1:6432/postgres";
const galeraHosts = process.env.TEST_GALERA_HOSTS ?? "127.0.0.1:3311,127.0.0.1:3312,127.0.0.1:3313";

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...findTests(file));
    else if (name.endsWith(".test.js")) out.push(file);
  }
  return out.sort();
}

async function pgQuery(url, text, values) {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}
async function myQuery(uri, text, values) {
  const mysql = (await import("mysql2/promise")).default;
  const conn = await mysql.createConnection({ uri, connectTimeout: 5000 });
  try {
    return (await conn.query(text, values))[0];
  } finally {
    await conn.end();
  }
}
const galeraNodeAdmin = (hostPort) => `mysql://root@${hostPort}/`;

const checks = {
  sqlite: async () => {},
  postgres: () => pgQuery(pgAdmin, "SELECT 1"),
  mysql: () => myQuery(myAdmin, "SELECT 1"),
  pgbouncer: () => pgQuery(pgbouncer, "SELECT 1"),
  galera: async () => {
    for (const hostPort of galeraHosts.split(",")) {
      const rows = await myQuery(galeraNodeAdmin(hostPort), "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'");
      if (Number(rows[0]?.Value) < 3) throw new Error(`${hostPort} sees a cluster of ${rows[0]?.Value ?? 0} nodes, not 3`);
    }
  },
};
const howToStart = { pgbouncer: "scripts/pgbouncer.sh start", galera: "scripts/galera.sh start" };

const available = [];
for (const name of chosen) {
  try {
    await checks[name]();
    available.push(name);
  } catch (error) {
    const hint = howToStart[name] ? ` Start it with ${howToStart[name]}.` : "";
    console.error(`${name} does not answer (${error.code ?? error.message}).${hint}`);
    if (onCi || process.env.PICCOLO_TEST_ENGINES) process.exit(1);
    console.error(`Skipping ${name} outside CI; set PICCOLO_TEST_ENGINES to choose engines explicitly.`);
  }
}

async function dropRunDatabases() {
  const like = `${runId}%`;
  if (available.includes("postgres") || available.includes("pgbouncer")) {
    for (const { datname } of await pgQuery(pgAdmin, "SELECT datname FROM pg_database WHERE datname LIKE $1", [like])) {
      await pgQuery(pgAdmin, `DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  }
  const mysqlServers = [];
  if (available.includes("mysql")) mysqlServers.push(myAdmin);
  if (available.includes("galera")) mysqlServers.push(galeraNodeAdmin(galeraHosts.split(",")[0]));
  for (const server of mysqlServers) {
    const rows = await myQuery(server, "SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE ?", [like]);
    for (const { name } of rows) await myQuery(server, `DROP DATABASE IF EXISTS \`${name}\``);
  }
}

const given = process.argv.slice(2);
const allFiles = given.length ? given : findTests(path.join(root, "build/test"));
const source = (file) => readFileSync(file, "utf8");
// Files that run against the shared server of an engine (the ones that ask for a fresh database per engine).
const usesEngines = (file) => /\btestEngines\b/.test(source(file)) && /\b(freshDatabaseUrl|migratedDatabaseUrl)\(/.test(source(file));
const forVariant = (file, variant) => new RegExp(`@variants\\b[^\\n]*\\b${variant}\\b`).test(source(file));

// Each pass: a name, the engines its tests see, the variant, the files.
const passes = [];
const mainEngines = ENGINES.filter((e) => available.includes(e));
if (mainEngines.length) passes.push({ name: mainEngines.join(", "), engines: mainEngines, files: allFiles });
if (available.includes("pgbouncer")) {
  // The whole PostgreSQL suite: every file that runs on the engines' shared servers, plus those written for it.
  const files = allFiles.filter((f) => usesEngines(f) || forVariant(f, "pgbouncer"));
  passes.push({ name: "pgbouncer (PostgreSQL through PgBouncer, transaction pooling)", engines: ["postgres"], variant: "pgbouncer", files });
}
if (available.includes("galera")) {
  // Files that say `// @variants: galera` (the cluster tests, the session tests).
  const files = allFiles.filter((f) => forVariant(f, "galera"));
  passes.push({ name: "galera (3-node MariaDB Galera, multi-host URL)", engines: ["mysql"], variant: "galera", files, concurrency: 1 });
}

/** The counts from a TAP report: the runner's own summary, plus skipped suites, which its summary leaves out. */
function readReport(file) {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  const summary = {};
  for (const match of text.matchAll(/^# (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) {
    summary[match[1]] = (summary[match[1]] ?? 0) + Number(match[2]);
  }
  const skips = [...text.matchAll(/^\s*(?:not )?ok \d+ - (.*?) # SKIP\b ?(.*)$/gm)].map((m) => `${m[1]}${m[2] ? ` (${m[2]})` : ""}`);
  return { summary, skips };
}

// A file whose process never ends (a handle left open outside any test) is beyond the per-test timeout: the
// pass is stopped at this deadline, naming the files still running, so CI reports it instead of timing out.
const passTimeoutMs = Number(process.env.PICCOLO_TEST_PASS_TIMEOUT_MS ?? 45 * 60_000);
function stopHungPass(pass, child) {
  const running = spawnSync("ps", ["-o", "args=", "--ppid", String(child.pid)], { encoding: "utf8" }).stdout ?? "";
  const files = [...running.matchAll(/(\S+\.test\.js)/g)].map((m) => path.relative(root, m[1]));
  console.error(`\nThe ${pass.name} pass ran past ${passTimeoutMs / 60_000} min; still running: ${files.join(", ") || "(none found)"}`);
  child.kill("SIGKILL");
}

const reportDir = mkdtempSync(path.join(tmpdir(), "piccolo-test-report-"));
let failed = false;
const totals = { pass: 0, fail: 0, cancelled: 0, skips: [] };
const ran = [];
for (const [index, pass] of passes.entries()) {
  if (!pass.files.length) continue;
  ran.push(pass.variant ?? pass.engines.join(","));
  console.log(`\n== ${pass.name}: run id ${runId}; ${pass.files.length} test files`);
  const tap = path.join(reportDir, `pass-${index}.tap`);
  const child = spawn(
    process.execPath,
    [
      "--test",
      `--test-concurrency=${pass.concurrency ?? 2}`,
      // A test that hangs fails after fifteen minutes instead of holding the whole CI run until its deadline.
      `--test-timeout=${process.env.PICCOLO_TEST_TIMEOUT_MS ?? 900000}`,
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      "--test-reporter=tap",
      `--test-reporter-destination=${tap}`,
      ...pass.files,
    ],
    {
      stdio: "inherit",
      cwd: root,
      env: {
        ...process.env,
        PICCOLO_TEST_RUN_ID: runId,
        PICCOLO_TEST_ENGINES: pass.engines.join(","),
        PICCOLO_TEST_VARIANT: pass.variant ?? "",
        TEST_POSTGRES_ADMIN_URL: pgAdmin,
        TEST_MYSQL_ADMIN_URL: myAdmin,
        TEST_PGBOUNCER_URL: pgbouncer,
        TEST_GALERA_HOSTS: galeraHosts,
      },
    },
  );
  const watchdog = setTimeout(() => stopHungPass(pass, child), passTimeoutMs);
  const code = await new Promise((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  clearTimeout(watchdog);
  if (code !== 0) failed = true;
  const report = readReport(tap);
  if (!report) {
    console.error(`No test report from the ${pass.name} pass.`);
    failed = true;
    continue;
  }
  totals.pass += report.summary.pass ?? 0;
  totals.fail += report.summary.fail ?? 0;
  totals.cancelled += report.summary.cancelled ?? 0;
  totals.skips.push(...report.skips.map((skip) => `[${pass.variant ?? pass.engines.join(",")}] ${skip}`));
}
rmSync(reportDir, { recursive: true, force: true });

try {
  await dropRunDatabases();
} catch (error) {
  console.error(`Could not drop the run's databases: ${error.message}`);
}

console.log(`\n== all passes (${ran.join("; ")})`);
console.log(`passed ${totals.pass}, failed ${totals.fail}, cancelled ${totals.cancelled}, skipped ${totals.skips.length} (tests and suites)`);
for (const skip of totals.skips) console.log(`  skipped: ${skip}`);
if (onCi && totals.skips.length) {
  console.error(`On CI nothing may be skipped: ${totals.skips.length} test(s)/suite(s) did not run.`);
  failed = true;
}
const missed = chosen.filter((name) => !available.includes(name));
if (missed.length) console.log(`not run: ${missed.join(", ")} (did not answer)`);
process.exit(failed ? 1 : 0);
