// Commands that only read (or change rows that must already exist) never create a database: opening a
// SQLite file that is not there would leave an empty `piccolo.sqlite` behind in whatever folder the
// command ran in. Only `piccolo migrations forwards` creates one.
import { existsSync } from "node:fs";
import { CliError, note } from "./output.js";

const SOURCES = {
  argument: "given by --db",
  DATABASE_URL: "given by DATABASE_URL",
  "config file": "named in piccolo.config.*",
  default: "the default, as neither --db, DATABASE_URL nor a piccolo.config.* in this folder names one",
} as const;

/** The SQLite file the resolution order picks when it does not exist (a sentence saying where it looked), else null. */
async function missingDatabase(db: string | undefined): Promise<string | null> {
  const { resolveDatabase } = await import("../engine/config.js");
  const target = await resolveDatabase(db);
  if (target.engine !== "sqlite" || target.filename === undefined || target.filename === ":memory:") return null;
  if (existsSync(target.filename)) return null;
  return `There is no database at ${target.filename} (${SOURCES[target.source]})`;
}

/**
 * For commands that report what has run (`migrations check`, `backwards`): with no database nothing has
 * run, which an empty in-memory database answers truthfully without creating a file. Says so on stderr.
 */
export async function existingOrEmptyDatabase(db: string | undefined): Promise<string | undefined> {
  const missing = await missingDatabase(db);
  if (missing === null) return db;
  note(`${missing}: nothing has run there yet.`);
  return "sqlite::memory:";
}

/** Fails (exit 1) when the SQLite file the resolution order picks does not exist, saying where it looked. */
export async function requireExistingDatabase(db: string | undefined): Promise<void> {
  const missing = await missingDatabase(db);
  if (missing === null) return;
  throw new CliError(`${missing}.`, {
    code: "NO_DATABASE",
    hint: 'Create it with "piccolo migrations forwards user", or point --db, DATABASE_URL or piccolo.config.* at your database',
  });
}
