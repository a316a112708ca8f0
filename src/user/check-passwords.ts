import { runTranslated } from "../engine/database-errors.js";
import { ValidationError } from "../errors.js";
import { openUserDatabase, type UserSettings } from "./settings.js";
import type { PasswordProblem } from "./user-types.js";
import { usersOf } from "./find-user.js";
import { parseStoredHash } from "../password/hasher.js";
import { LEGACY_FORMAT_NAMES, identifyLegacyHash } from "../password/legacy-hashes.js";

/**
 * Finds stored passwords that are not well-formed hashes (a bulk update wrote plaintext, a value was
 * truncated, another format) or use fewer iterations than the class. Reports ids and usernames,
 * never the stored values. Reads the table in id order, in batches, so it runs on any size.
 */
export async function checkPasswords(settings: Pick<UserSettings, "tableName" | "iterations" | "database">, options?: { batchSize?: number } | null): Promise<PasswordProblem[]> {
  const batchSize = options?.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new ValidationError("The batch size must be a whole number > 0.", "batchSize");
  }
  const database = await openUserDatabase(settings);
  const users = usersOf(database);
  return runTranslated(database, async () => {
    const problems: PasswordProblem[] = [];
    let lastId: number | undefined;
    for (;;) {
      let query = users.selectFrom(settings.tableName).select(["id", "username", "password"]);
      if (lastId !== undefined) query = query.where("id", ">", lastId);
      const rows = await query.orderBy("id").limit(batchSize).execute();
      for (const row of rows) {
        const parsed = parseStoredHash(row.password);
        const base = { id: row.id, username: row.username };
        const legacy = parsed ? null : identifyLegacyHash(row.password);
        if (legacy) problems.push({ ...base, problem: "legacy", format: LEGACY_FORMAT_NAMES[legacy] });
        else if (!parsed) problems.push({ ...base, problem: "malformed" });
        else if (parsed.iterations < settings.iterations) problems.push({ ...base, problem: "weak", iterations: parsed.iterations });
      }
      if (rows.length < batchSize) return problems;
      lastId = rows[rows.length - 1]!.id;
    }
  });
}
