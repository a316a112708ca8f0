// The import's side of identifier-collisions.ts: with login by email, a row's email may not be another
// row's or a stored user's username, nor a row's username another's email.
import type { Database } from "../engine/connect.js";
import { sql } from "kysely";
import type { ImportProblem } from "./import-file.js";
import { sameIdentifier } from "./identifier-collisions.js";
import { asciiLowerCase } from "./username-lookup.js";

const LOOKUP_CHUNK = 500;

interface Target {
  tableName: string;
  caseInsensitiveUsernames: boolean;
  loginWithEmail?: boolean;
}

interface Row {
  line: number;
  username: string;
  email: string;
}

/** Adds a problem for each row whose username or email is, across the two, another's identifier. */
export async function findCrossIdentifierConflicts(db: Database, target: Target, rows: readonly Row[], problems: ImportProblem[]): Promise<void> {
  if (!target.loginWithEmail) return;
  const modes = { caseInsensitiveUsernames: target.caseInsensitiveUsernames };
  // In the file: by ASCII-lowered identifier (sameIdentifier then decides, folding included).
  const byKey = new Map<string, Row[]>();
  for (const row of rows) {
    for (const value of [row.username, row.email]) {
      if (!value.includes("@")) continue;
      const key = asciiLowerCase(value);
      byKey.set(key, [...(byKey.get(key) ?? []), row]);
    }
  }
  for (const row of rows) {
    const other = (byKey.get(asciiLowerCase(row.email)) ?? []).find((candidate) => candidate !== row && sameIdentifier(modes, candidate.username, row.email));
    if (row.email.includes("@") && other) {
      problems.push({ line: row.line, reason: `the email ${JSON.stringify(row.email)} is the username on line ${other.line}: with login by email, one identifier may not name two users` });
    }
  }
  // In the table: stored emails equal to a row's username, stored usernames equal to a row's email.
  const names = rows.filter((row) => row.username.includes("@"));
  const emails = rows.filter((row) => row.email.includes("@"));
  const storedEmails: string[] = [];
  const storedNames: string[] = [];
  for (let start = 0; start < Math.max(names.length, emails.length); start += LOOKUP_CHUNK) {
    const nameChunk = names.slice(start, start + LOOKUP_CHUNK).map((row) => sql`lower(${row.username})`);
    const emailChunk = emails.slice(start, start + LOOKUP_CHUNK).map((row) => sql`lower(${row.email})`);
    const found = await db.kysely
      .selectFrom(target.tableName)
      .select(["username", "email"])
      .where((eb) =>
        eb.or([
          ...(nameChunk.length > 0 ? [eb(sql`lower(${eb.ref("email")})`, "in", nameChunk)] : []),
          ...(emailChunk.length > 0 ? [eb(sql`lower(${eb.ref("username")})`, "in", emailChunk)] : []),
        ]),
      )
      .execute();
    for (const row of found) {
      storedEmails.push(String(row.email));
      storedNames.push(String(row.username));
    }
  }
  for (const row of names) {
    if (storedEmails.some((email) => sameIdentifier(modes, row.username, email))) {
      problems.push({ line: row.line, reason: `the username ${JSON.stringify(row.username)} is a stored user's email: with login by email, one identifier may not name two users` });
    }
  }
  for (const row of emails) {
    if (storedNames.some((username) => sameIdentifier(modes, username, row.email))) {
      problems.push({ line: row.line, reason: `the email ${JSON.stringify(row.email)} is a stored user's username: with login by email, one identifier may not name two users` });
    }
  }
}
