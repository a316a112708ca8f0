// The database decides whether usernames are case-insensitive for the `piccolo` command: once the
// opt-in app `user_case_insensitive` has run, its unique index already treats `Bob` and `bob` as one,
// so the commands find `bob` by `BOB` too (and fill username_folded on the rows they write).
export async function caseInsensitiveUsernamesInstalled(database: string | undefined): Promise<boolean> {
  const { migrationStatus } = await import("../migrations/runner.js");
  const rows = await migrationStatus({ app: "user_case_insensitive", database });
  return rows.length > 0 && rows.every((row) => row.ran);
}

/** Makes BaseUser (and so every class the commands derive from it) follow the database's mode. */
export async function applyDatabaseUserModes(database: string | undefined): Promise<void> {
  const { BaseUser } = await import("../user/base-user.js");
  BaseUser.caseInsensitiveUsernames = await caseInsensitiveUsernamesInstalled(database);
}
