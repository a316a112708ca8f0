#!/usr/bin/env node
// Runs the compiled test files (build/test/**/*.test.js) with Node's test runner, once, against every
// engine. Each run gets its own PostgreSQL and MySQL databases (named after the run) and drops them after.
// PICCOLO_TEST_ENGINES=sqlite,postgres limits the engines outside CI; on CI (CI=true) all three must answer.
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";

const root = path.resolve(import.meta.dirname, "..");
const onCi = process.env.CI === "true";
const wanted = (process.env.PICCOLO_TEST_ENGINES ?? "sqlite,postgres,mysql").split(",").map((s) => s.trim());
if (onCi && wanted.length < 3) {
  console.error("On CI every engine runs: unset PICCOLO_TEST_ENGINES.");
  process.exit(1);
}
const runId = `pt_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
const pgAdmin = process.env.TEST_POSTGRES_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const myAdmin = process.env.TEST_MYSQL_ADMIN_URL ?? "mysql://root@127.0.0.1:3306/test";

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...findTests(file));
    else if (name.endsWith(".test.js")) out.push(file);
  }
  return out.sort();
}

async function checkPostgres() {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: pgAdmin, connectionTimeoutMillis: 5000 });
  await client.connect();
  await client.end();
}
async function checkMysql() {
  const mysql = (await import("mysql2/promise")).default;
  const conn = await mysql.createConnection({ uri: myAdmin, connectTimeout: 5000 });
  await conn.end();
}

async function dropRunDatabases() {
  if (wanted.includes("postgres")) {
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: pgAdmin });
    await client.connect();
    const { rows } = await client.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${runId}%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await client.end();
  }
  if (wanted.includes("mysql")) {
    const mysql = (await import("mysql2/promise")).default;
    const conn = await mysql.createConnection({ uri: myAdmin });
    const [rows] = await conn.query("SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE ?", [`${runId}%`]);
    for (const { name } of rows) await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await conn.end();
  }
}

const engines = [];
for (const engine of ["sqlite", "postgres", "mysql"]) {
  if (!wanted.includes(engine)) continue;
  try {
    if (engine === "postgres") await checkPostgres();
    if (engine === "mysql") await checkMysql();
    engines.push(engine);
  } catch (error) {
    console.error(`${engine} does not answer (${error.code ?? error.message}).`);
    if (onCi || process.env.PICCOLO_TEST_ENGINES) process.exit(1);
    console.error(`Skipping ${engine} outside CI; set PICCOLO_TEST_ENGINES to choose engines explicitly.`);
  }
}

const files = process.argv.slice(2).length ? process.argv.slice(2) : findTests(path.join(root, "build/test"));
console.log(`engines: ${engines.join(", ")}; run id ${runId}; ${files.length} test files`);
const child = spawn(process.execPath, ["--test", "--test-concurrency=2", "--test-reporter=spec", ...files], {
  stdio: "inherit",
  cwd: root,
  env: {
    ...process.env,
    PICCOLO_TEST_RUN_ID: runId,
    PICCOLO_TEST_ENGINES: engines.join(","),
    TEST_POSTGRES_ADMIN_URL: pgAdmin,
    TEST_MYSQL_ADMIN_URL: myAdmin,
  },
});
const code = await new Promise((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
try {
  await dropRunDatabases();
} catch (error) {
  console.error(`Could not drop the run's databases: ${error.message}`);
}
process.exit(code);
