#!/usr/bin/env node
// Login time and logins/s per runtime (Node, Bun, Deno), on SQLite and PostgreSQL: `node bench/runtimes.mjs`
// (--engines=sqlite,postgres, --rounds=N sequential logins, --n=N logins at 16 in flight). `npm run bench`
// prints the same figures as its row 9.
import { Databases, serverAvailable } from "./lib/setup.mjs";
import { runtimeFigures } from "./lib/runtimes.mjs";

const option = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const engines = option("engines", "sqlite,postgres").split(",");
const plan = { rounds: Number(option("rounds", 9)), n: Number(option("n", 32)) };

const pkg = await import("../dist/index.js");
const dbs = new Databases(pkg);
try {
  for (const engine of engines) {
    if (!(await serverAvailable(engine))) {
      console.log(`${engine} is not reachable: skipped`);
      continue;
    }
    const url = await dbs.createMigrated(engine, "runtimes");
    const creds = { username: "bench_user", password: "correct horse battery staple" };
    class Setup extends pkg.BaseUser {
      static database = url;
    }
    await Setup.createUser({ ...creds, email: "bench@example.com", active: true });
    await pkg.closeDatabases();
    for (const [name, f] of Object.entries(runtimeFigures(url, creds, plan))) {
      console.log(
        `${engine.padEnd(8)} ${name.padEnd(5)} ${f.runtime.padEnd(16)} login ${f.loginMs.toFixed(1).padStart(6)} ms   ` +
          `${f.rate.toFixed(2).padStart(6)} logins/s at ${f.inFlight} in flight (${f.threads} hash threads, ${f.implementation}${f.kernel ? `, ${f.kernel}` : ""})`,
      );
    }
  }
} finally {
  await dbs.dropAll();
}
