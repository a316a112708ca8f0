// Commands that only read (or change rows that must already exist) never create a database: opening a
// SQLite file that is not there would leave an empty `piccolo.sqlite` behind in whatever folder the
// command ran in. Only `piccolo migrations forwards` creates one.
import { existsSync } from "node:fs";
import path from "node:path";
import { CliError, note } from "./output.js";

const SOURCES = {
  argument: "given by --db",
  DATABASE_URL: "given by DATABASE_URL",
  "config file": "named in piccolo.config.*",
  default: "the default, as neither --db, DATABASE_URL nor a piccolo.config.* in this folder names one",
} as const;

interface Missing {
  /** Where it looked and why there: a sentence without its full stop. */
  sentence: string;
  /** The file's folder exists (so `forwards` could create the file there). */
  folderExists: boolean;
}

/** The SQLite file the resolution order picks, when it does not exist; null when it does (or for a server). */
async function missingDatabase(db: string | undefined): Promise<Missing | null> {
  const { resolveDatabase, databaseFile } = await import("../engine/config.js");
  const target = await resolveDatabase(db);
  const file = databaseFile(target);
  if (file === null || existsSync(file)) return null;
  return {
    sentence: `There is no database at ${file} (${SOURCES[target.source]})`,
    folderExists: existsSync(path.dirname(file)),
  };
}

/**
 * For commands that report what has run (`migrations check`, `backwards`): with no database nothing has
 * run, which an empty in-memory database answers truthfully without creating a file. Says so on stderr.
 * (When the file's folder does not exist either, the path is wrong: the command fails as it would have.)
 */
export async function existingOrEmptyDatabase(db: string | undefined): Promise<string | undefined> {
  const missing = await missingDatabase(db);
  // A folder that does not exist is a wrong path, not a new project: opening it fails with that reason.
  if (missing === null || !missing.folderExists) return db;
  note(`${missing.sentence}: nothing has run there yet.`);
  return "sqlite::memory:";
}

/** Fails (exit 1) when the SQLite file the resolution order picks does not exist, saying where it looked. */
export async function requireExistingDatabase(db: string | undefined): Promise<void> {
  const missing = await missingDatabase(db);
  if (missing === null) return;
  throw new CliError(`${missing.sentence}.`, {
    code: "NO_DATABASE",
    hint: 'Create it with "piccolo migrations forwards user", or point --db, DATABASE_URL or piccolo.config.* at your database.',
  });
}
