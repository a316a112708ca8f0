// Which account a login identifier names, without checking any password: for limits that must count
// every spelling of one account together (the session layer's login rate limit).
import { runTranslated } from "../engine/database-errors.js";
import { openUserDatabase, type UserSettings } from "./settings.js";
import { usersOf } from "./find-user.js";
import { LOOKUP_ROW_LIMIT, isEmailIdentifier, loginFilter, pickLoginRow } from "./username-lookup.js";
import { MAX_EMAIL_LENGTH, exceedsLength, isComparableText } from "./validation.js";

/**
 * The id of the user a login identifier names, as `login` would choose it (the username, folded with
 * case-insensitive usernames; with `loginWithEmail` an email, ASCII case ignored), or null when it names
 * nobody. One indexed query, the same whether or not the user exists; none for an identifier no stored
 * user can have (too long, control characters).
 */
export async function findLoginUserId(settings: Pick<UserSettings, "tableName" | "maxUsernameLength" | "loginWithEmail" | "caseInsensitiveUsernames" | "database">, identifier: string): Promise<number | null> {
  const maxLength = isEmailIdentifier(settings, identifier) ? Math.max(settings.maxUsernameLength, MAX_EMAIL_LENGTH) : settings.maxUsernameLength;
  if (exceedsLength(identifier, maxLength) || !isComparableText(identifier)) return null;
  const database = await openUserDatabase(settings);
  return runTranslated(database, async () => {
    const rows = await usersOf(database)
      .selectFrom(settings.tableName)
      .select(["id", "username", "email"])
      .where(loginFilter(settings, identifier))
      .limit(LOOKUP_ROW_LIMIT)
      .execute();
    return pickLoginRow(settings, rows, identifier)?.id ?? null;
  });
}
