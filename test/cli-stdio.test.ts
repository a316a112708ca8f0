// How the command writes: straight to the descriptors for pipes and files (src/cli/stdio.ts). Nothing
// may be lost when the reader is slow, a reader that leaves early ends the command quietly, and a file
// gets exactly what a pipe gets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { BaseUser, closeDatabases, migrateForwards } from "piccolo-ts";
import { freshDatabaseUrl, tempDir } from "./support/engines.js";
import { baseEnv, bin } from "./support/cli.js";

const USERS = 1500;

async function manyUsers(): Promise<string> {
  const url = await freshDatabaseUrl("sqlite");
  await migrateForwards("user", { database: url });
  class Quick extends BaseUser {
    static override iterations = 1;
    static override database = url;
  }
  for (let i = 0; i < USERS; i++) await Quick.createUser({ username: `user_${String(i).padStart(5, "0")}`, password: "a-long-password", email: `u${i}@example.com` });
  await closeDatabases();
  return url;
}

/** Runs a bash pipeline with `$PICCOLO` set to the command; returns what bash printed and its status. */
function pipeline(script: string, url: string) {
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)}`;
  const result = spawnSync("bash", ["-c", `set -u\nPICCOLO=(${command})\n${script}`], {
    env: baseEnv({ DATABASE_URL: url }),
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("a slow reader (`piccolo user list | less`) gets every line of a listing larger than a pipe holds; a file gets the same", async () => {
  const url = await manyUsers();
  const dir = tempDir();
  const piped = path.join(dir, "piped.txt");
  const filed = path.join(dir, "filed.txt");
  // The reader starts half a second late: the listing (~120 kB) waits in the writer, past the pipe's 64 kB.
  const run = pipeline(
    `"\${PICCOLO[@]}" user list --limit=${USERS} | { sleep 0.5; cat > ${JSON.stringify(piped)}; }; echo "\${PIPESTATUS[0]}"
     "\${PICCOLO[@]}" user list --limit=${USERS} > ${JSON.stringify(filed)}; echo $?`,
    url,
  );
  assert.equal(run.stdout, "0\n0\n", run.stderr);
  assert.equal(run.stderr, "");
  const listing = readFileSync(piped);
  assert.ok(listing.length > 100_000, `${listing.length} bytes`);
  const lines = listing.toString("utf8").trimEnd().split("\n");
  assert.equal(lines.length, USERS + 2);
  assert.match(lines.at(-1)!, /^\d+\s+user_01499\s/);
  assert.ok(readFileSync(filed).equals(listing), "the file holds exactly what the pipe carried");
});

test("a reader that goes away early (`piccolo user list | head -1`) ends the command quietly, exit 0", async () => {
  const url = await manyUsers();
  const run = pipeline(`"\${PICCOLO[@]}" user list --limit=${USERS} | head -1; echo "status \${PIPESTATUS[0]}"`, url);
  assert.equal(run.stderr, "", "nothing on stderr: no stack trace, no EPIPE message");
  assert.match(run.stdout, /^id\s+username\s.*\nstatus 0\n$/);
});
