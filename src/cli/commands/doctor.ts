// `piccolo doctor`: how this installation hashes passwords, and which database the commands here would
// use and whether it answers. Creates nothing: a SQLite file that is not there is reported, not made.
import { existsSync } from "node:fs";
import { dialects } from "../../engine/dialects/index.js";
import { hasherInfo } from "../../password/hash-pool.js";
import { print, printJson } from "../output.js";
import type { CommandInput } from "../types.js";

interface DatabaseReport {
  /** The URL (password masked) or the SQLite file; absent when the settings themselves are wrong. */
  location?: string;
  /** Which rule picked it: argument, DATABASE_URL, config file, default. */
  source?: string;
  engine?: string;
  /** "answers", "missing" (no SQLite file yet) or "fails". */
  status: "answers" | "missing" | "fails";
  /** Why it fails (a message without secrets). */
  reason?: string;
}

const SOURCE_WORDS: Record<string, string> = {
  argument: "--db",
  DATABASE_URL: "DATABASE_URL",
  "config file": "piccolo.config.*",
  default: "the default: no --db, DATABASE_URL or piccolo.config.* here",
};

async function checkDatabase(db: string | undefined): Promise<DatabaseReport> {
  const { resolveDatabase, databaseFile } = await import("../../engine/config.js");
  let target;
  try {
    target = await resolveDatabase(db);
  } catch (error) {
    return { status: "fails", reason: (error as Error).message };
  }
  const report = { location: target.displayUrl, source: target.source, engine: target.engine };
  const file = databaseFile(target);
  if (file !== null && !existsSync(file)) return { ...report, status: "missing" };
  try {
    const { useDatabase } = await import("../../engine/connect.js");
    const { sql } = await import("../../engine/kysely.js");
    const database = await useDatabase(db);
    await sql`select 1`.execute(database.kysely);
    return { ...report, status: "answers" };
  } catch (error) {
    return { ...report, status: "fails", reason: (error as Error).message };
  }
}

function databaseLine(report: DatabaseReport): string {
  if (report.location === undefined) return `Database: the settings are wrong: ${report.reason}`;
  const where = `${report.location} (${report.engine}, from ${SOURCE_WORDS[report.source ?? ""] ?? report.source})`;
  if (report.status === "answers") return `Database: ${where}: it answers.`;
  if (report.status === "missing") return `Database: ${where}: no such file yet ("piccolo migrations forwards all" creates it).`;
  return `Database: ${where}: it does not answer: ${report.reason}`;
}

const LOOPS = {
  "sha-ni": "on the CPU's SHA extensions",
  "armv8-sha2": "on the CPU's ARMv8 SHA-2 instructions",
  portable: "on its portable SHA-256",
} as const;

export async function run(input: CommandInput): Promise<void> {
  const info = hasherInfo();
  const { implementation, runtime, kernel, binary, lanes, reason, threads, queueDepth, nice } = info;
  const sqliteDriver = dialects.sqlite.driverName();
  const database = await checkDatabase(input.db);
  if (input.json) {
    printJson({ sqliteDriver, hasher: { implementation, runtime, ...(kernel ? { kernel } : {}), ...(binary ? { binary } : {}), lanes, ...(reason ? { reason } : {}), threads, queueDepth, nice }, database });
    return;
  }
  print(`Runtime: ${runtime}; SQLite through ${sqliteDriver}.`);
  print(
    implementation === "native"
      ? `Password hashing: native PBKDF2 addon, ${LOOPS[kernel ?? "portable"]} (same hashes as crypto.pbkdf2, in less time).`
      : `Password hashing: ${runtime.split(" ")[0]}'s crypto.pbkdf2 (${reason ?? "the native addon is not in use"}).`,
  );
  if (implementation === "native") {
    print(`Addon binary: ${binary === "prebuilt" ? `prebuilt for ${process.platform}-${process.arch}, shipped in the package` : "built on this machine at install"}.`);
    print(
      lanes > 1
        ? `Hash lanes: ${lanes} (PICCOLO_HASH_LANES): a hash thread runs two waiting hashes in one loop.`
        : `Hash lanes: 1 (PICCOLO_HASH_LANES): one hash per thread at a time${kernel === "portable" ? " (the portable loop runs one)" : ""}.`,
    );
  }
  print(`Hash threads: ${threads} (PICCOLO_HASH_THREADS); queue depth: ${queueDepth} (PICCOLO_HASH_QUEUE); beyond it a login fails fast with BusyError.`);
  print(nice > 0 ? `Hash threads run at nice +${nice} (PICCOLO_HASH_NICE): the event loop gets a core first.` : "Hash threads run at the process's priority.");
  print(databaseLine(database));
}
