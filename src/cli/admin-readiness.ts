// What `piccolo admin` checks before it listens: every table its pages use (the user app's, the session
// app's, the admin's history) must exist and be migrated, so a page never answers 500 "the database is not
// ready"; and whether anyone can log in at all (an active user with the admin flag), so an empty admin
// does not look broken.
import type { Database } from "../engine/connect.js";
import type { BaseUser } from "../user/base-user.js";
import { CliError, warn } from "./output.js";

/** Fails (exit 1) naming the command to run when a migration the admin's pages need has not run. */
export async function requireAdminTables(database: Database, userClass: typeof BaseUser, options: { sessionTables: boolean }): Promise<void> {
  const [{ pendingMigrationIds }, { userApp }, { sessionAuthApp }, { adminHistoryApp }] = await Promise.all([
    import("../migrations/pending.js"),
    import("../user/migrations/index.js"),
    import("../session/migrations/index.js"),
    import("../admin/migrations/index.js"),
  ]);
  // A user class with its own table has its own migrations: only piccolo_user is the user app's.
  const apps = [...(userClass.tableName === "piccolo_user" ? [userApp] : []), ...(options.sessionTables ? [sessionAuthApp] : []), adminHistoryApp];
  const pending = await pendingMigrationIds(database, apps);
  const missing = apps.filter((app) => pending.get(app.name)!.length > 0).map((app) => app.name);
  if (missing.length === 0) return;
  const count = missing.reduce((sum, name) => sum + pending.get(name)!.length, 0);
  const command = `piccolo migrations forwards ${missing.length === 1 ? missing[0] : "all"}`;
  // The advice in the message itself: startAdmin is API too, where no hint is printed.
  throw new CliError(
    `The admin needs the tables of ${missing.join(", ")}, and ${count === 1 ? "1 migration has" : `${count} migrations have`} not run there: ` +
      `run "${command}", then start the admin again.`,
    { code: "TABLE_MISSING" },
  );
}

/** Warns (the admin still starts) when no user is both active and an admin: nobody could log in. */
export async function warnIfNobodyCanLogIn(userClass: typeof BaseUser): Promise<void> {
  const admins = await userClass.countUsers({ filter: { active: true, admin: true } });
  if (admins > 0) return;
  warn(
    'No active user has the admin flag, so nobody can log in yet: create one with "piccolo user create --is_admin=t --is_superuser=t --is_active=t" ' +
      '(or give an existing user the flags with "piccolo user change_permissions <username> --admin=t --active=t").',
  );
}
