#!/usr/bin/env node
// The cluster figures of docs/performance.md, on the Galera cluster of scripts/galera.sh (start it first):
//   1. logins/s through one node vs through all three (multi-host URL), same concurrency, interleaved rounds;
//   2. the failover gap: logins in a loop over the three nodes, one node kill -9'ed; the longest time
//      without a successful login, and how many logins failed. The node is started again at the end.
// Usage: npm run build && node bench/cluster.mjs [--seconds=4] [--rounds=3] [--concurrency=16] [--iterations=1000]
// Logins hash with --iterations PBKDF2 rounds (default 1000, far below the real default) so that the figure
// measures the database path rather than the hash; with real iterations the hash is the limit either way.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import mysql from "mysql2/promise";
import { BaseUser, closeDatabases, migrateForwards } from "../dist/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const option = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const seconds = option("seconds", 4);
const rounds = option("rounds", 3);
const concurrency = option("concurrency", 16);
const iterations = option("iterations", 1000);
const hosts = (process.env.BENCH_GALERA_HOSTS ?? "127.0.0.1:3311,127.0.0.1:3312,127.0.0.1:3313").split(",");
const database = `bench_cluster_${process.pid}`;

const admin = await mysql.createConnection({ uri: `mysql://root@${hosts[0]}/` });
await admin.query(`CREATE DATABASE \`${database}\``);
const clusterUrl = `mysql://root@${hosts.join(",")}/${database}`;
const oneNodeUrl = `mysql://root@${hosts[0]}/${database}`;
const userClass = (url) =>
  class extends BaseUser {
    static iterations = iterations;
    static database = url;
  };

async function loginLoop(User, ms, users, onResult = () => {}) {
  const end = Date.now() + ms;
  let ok = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; Date.now() < end; i++) {
        const name = users[(worker + i) % users.length];
        try {
          if ((await User.login(name, `${name}-password`)) === null) throw new Error("refused");
          ok++;
          onResult(true);
        } catch (error) {
          onResult(false, error);
        }
      }
    }),
  );
  return ok / (ms / 1000);
}

try {
  await migrateForwards("all", { database: clusterUrl });
  const Cluster = userClass(clusterUrl);
  const OneNode = userClass(oneNodeUrl);
  const users = [];
  for (let i = 0; i < concurrency * 2; i++) {
    users.push(`bench${i}`);
    await Cluster.createUser({ username: `bench${i}`, password: `bench${i}-password`, email: `bench${i}@example.com` });
  }
  await loginLoop(Cluster, 1000, users); // warm both pools
  await loginLoop(OneNode, 1000, users);
  const one = [];
  const three = [];
  for (let round = 0; round < rounds; round++) {
    one.push(await loginLoop(OneNode, seconds * 1000, users));
    three.push(await loginLoop(Cluster, seconds * 1000, users));
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(`logins/s, ${concurrency} concurrent, ${iterations} PBKDF2 iterations, median of ${rounds} × ${seconds} s:`);
  console.log(`  one node:    ${Math.round(median(one))}  (${one.map(Math.round).join(", ")})`);
  console.log(`  three nodes: ${Math.round(median(three))}  (${three.map(Math.round).join(", ")})`);

  // Failover: kill node 2 two seconds into an 8-second loop.
  const [[{ file, datadir }]] = await (await mysql.createConnection({ uri: `mysql://root@${hosts[1]}/` })).query(
    "SELECT @@pid_file AS file, @@datadir AS datadir",
  );
  const pid = Number(readFileSync(path.resolve(datadir, file), "utf8"));
  let lastOk = Date.now();
  let gap = 0;
  let failed = 0;
  let succeeded = 0;
  const killAt = Date.now() + 2000;
  setTimeout(() => process.kill(pid, "SIGKILL"), 2000);
  await loginLoop(Cluster, 8000, users, (ok) => {
    const now = Date.now();
    if (ok) {
      succeeded++;
      if (now > killAt) gap = Math.max(gap, now - lastOk);
      lastOk = now;
    } else failed++;
  });
  console.log(`failover (kill -9 of one node, ${concurrency} concurrent logins): longest gap ${gap} ms, ${failed} failed and ${succeeded} successful logins in 8 s`);
} finally {
  await closeDatabases();
  execFileSync(path.join(root, "scripts/galera.sh"), ["start"], { stdio: "ignore" });
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => {});
  await admin.end();
}
