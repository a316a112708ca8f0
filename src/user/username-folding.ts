/**
 * Case-insensitive usernames (`static caseInsensitiveUsernames = true`): what "the same name" means.
 * Use it to compare names the way piccolo-ts does, e.g. to warn about look-alike names in a sign-up form.
 *
 * fold(name) = NFKC(toLowerCase(toUpperCase(NFKC(name)))), with JavaScript's locale-independent, full
 * Unicode case mappings, repeated until it no longer changes (`ẞ` → `ß` → `ss`). NFKC first, as Django's
 * `normalize_username` does, makes compatibility forms one name: fullwidth `ａｄｍｉｎ` is `admin`, `ﬁ` is
 * `fi`, `Ⅸ` is `IX`, composed and decomposed accents are equal (`É` = `É`). Upper-casing then makes the
 * pairs that lower-casing alone keeps apart equal (`ß`/`SS`/`ss`, `ς`/`σ`), as Python's `casefold` does.
 * It is computed here, in JavaScript, and stored in the `username_folded` column, so the unique index
 * compares the same bytes on SQLite, PostgreSQL and MySQL/MariaDB: no database's own lower()/collation
 * (ASCII-only on SQLite, locale-dependent on PostgreSQL, collation-dependent on MySQL) takes part. Turkish
 * dotted/dotless i follow the default (not the Turkish) mapping: `I` = `i`, `İ` ≠ `i`.
 *
 * @example
 * ```ts
 * foldUsername("STRASSE") === foldUsername("straße"); // true
 * foldUsername("ＡＤＭＩＮ");                           // "admin"
 * foldUsername("ÉLODIE");                             // "élodie"
 * ```
 */
export function foldUsername(username: string): string {
  let folded = foldOnce(username);
  // At most a few rounds: only a handful of characters fold to something that folds again.
  for (let round = 0; round < 4; round++) {
    const again = foldOnce(folded);
    if (again === folded) return folded;
    folded = again;
  }
  return folded;
}

function foldOnce(text: string): string {
  return text.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");
}

export const FOLDED_USERNAME_COLUMN = "username_folded";

/** True when a unique violation reported this column (MySQL reports the index name, `<table>_username_folded`). */
export function isFoldedUsernameColumn(column: string | null): boolean {
  return column !== null && column.endsWith(FOLDED_USERNAME_COLUMN);
}
/** Folding can lengthen a name (`ﬃ` → `ffi`, NFKC's `㎒` → `mhz`, `ﷺ` → 18 characters); longer folds are refused. */
export const FOLDED_USERNAME_LENGTH = 400;

export interface UsernameRow {
  id: number;
  username: string;
}

/** Groups of users whose names fold to the same value (each group sorted by id, groups by first id). */
export function findCollisions(rows: Iterable<UsernameRow>): UsernameRow[][] {
  const groups = new Map<string, UsernameRow[]>();
  for (const row of rows) {
    const key = foldUsername(row.username);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()]
    .filter((group) => group.length > 1)
    .map((group) => group.sort((a, b) => a.id - b.id))
    .sort((a, b) => a[0]!.id - b[0]!.id);
}

/** One line per group: `Bob (id 3), bob (id 7)`. Usernames are not secrets; JSON-quoting keeps odd characters visible. */
export function describeCollisions(groups: readonly UsernameRow[][]): string[] {
  return groups.map((group) => group.map((row) => `${JSON.stringify(row.username)} (id ${row.id})`).join(", "));
}
