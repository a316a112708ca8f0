// Which account a login identifier names, without checking any password: for limits that must count
// every spelling of one account together (the session layer's login rate limit).
import { runTranslated } from "../engine/database-errors.js";
import type { BaseUser } from "./base-user.js";
import { usersOf } from "./find-user.js";
import { LOOKUP_ROW_LIMIT, isEmailIdentifier, loginFilter, pickLoginRow } from "./username-lookup.js";
import { MAX_EMAIL_LENGTH, exceedsLength, isComparableText } from "./validation.js";

/**
 * The id of the user a login identifier names, as `login` would choose it (the username, folded with
 * case-insensitive usernames; with `loginWithEmail` an email, ASCII case ignored), or null when it names
 * nobody. One indexed query, the same whether or not the user exists; none for an identifier no stored
 * user can have (too long, control characters).
 */
export async function findLoginUserId(cls: typeof BaseUser, identifier: string): Promise<number | null> {
  const maxLength = isEmailIdentifier(cls, identifier) ? Math.max(cls.maxUsernameLength, MAX_EMAIL_LENGTH) : cls.maxUsernameLength;
  if (exceedsLength(identifier, maxLength) || !isComparableText(identifier)) return null;
  const database = await cls.getDatabase();
  return runTranslated(database, async () => {
    const rows = await usersOf(database)
      .selectFrom(cls.tableName)
      .select(["id", "username", "email"])
      .where(loginFilter(cls, identifier))
      .limit(LOOKUP_ROW_LIMIT)
      .execute();
    return pickLoginRow(cls, rows, identifier)?.id ?? null;
  });
}
