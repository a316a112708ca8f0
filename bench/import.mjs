#!/usr/bin/env node
// `piccolo user import` speed (issue 14): 100 000 users with hashes of every imported format, into a
// fresh SQLite file, through the real command (`node dist/cli/main.js`). Target: under 30 s.
// Run after `npm run build`: `node bench/import.mjs [--rows=N] [--engine-url=URL]` (a server URL must
// name an empty, migrated-or-new database; default: a temporary SQLite file).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "dist", "cli", "main.js");
const option = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const rows = Number(option("rows") ?? 100_000);
const TARGET_SECONDS = 30;

// One sample hash per format (the vectors of test/legacy-hashes.test.ts); the import never hashes.
const HASHES = [
  "pbkdf2_sha256$600000$0123456789abcdef0123456789abcdef$3ed0c190ed531edb43ff0f87843d258b1a91129c5e9c82592861bb1339282788",
  "pbkdf2_sha256$600000$seasalt$OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA=",
  "argon2$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
  "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
  "0123456789abcdef0123456789abcdef:e8b256b6f9f4b1641136a66d4a26ba41a47b6c8c9bad6aa4145559ffda45ece1f0f16dec8482a3e5545feada0ba62f2b05eeb943b750c9396874e1762c78d27d",
];

const dir = mkdtempSync(path.join(tmpdir(), "piccolo-import-bench-"));
try {
  const file = path.join(dir, "users.csv");
  const lines = ["username,email,first_name,last_name,is_active,is_admin,is_superuser,password"];
  for (let i = 0; i < rows; i++) {
    lines.push(`user${i},user${i}@example.com,First ${i},"Last, ${i}",t,f,f,"${HASHES[i % HASHES.length]}"`);
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
  const db = option("engine-url") ?? `sqlite:${path.join(dir, "bench.sqlite")}`;
  execFileSync(process.execPath, [cli, "--db", db, "migrations", "forwards", "user"], { stdio: "ignore" });
  const started = process.hrtime.bigint();
  const output = execFileSync(process.execPath, [cli, "--db", db, "user", "import", file], { encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(output.trim());
  console.log(`${rows} rows in ${seconds.toFixed(2)} s (${Math.round(rows / seconds)} rows/s); target < ${TARGET_SECONDS} s: ${seconds < TARGET_SECONDS ? "met" : "MISSED"}`);
  process.exitCode = seconds < TARGET_SECONDS ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
