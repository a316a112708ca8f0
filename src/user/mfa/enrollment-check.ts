// Whether a user is enrolled, read without the MFA key: a server not set up for two-factor
// authentication must still refuse the password alone to a user who turned it on (in Piccolo Admin, say).
import { missingTableName, runTranslated } from "../../engine/database-errors.js";
import type { Database } from "../../engine/connect.js";
import { AUTHENTICATOR_SECRET_TABLE } from "./migrations.js";

/** True when the user has an unrevoked enrollment; false too when the table does not exist. */
export async function hasActiveEnrollment(users: { getDatabase(): Promise<Database> }, userId: number): Promise<boolean> {
  const database = await users.getDatabase();
  return runTranslated(
    database,
    async () => {
      try {
        const row = await database.kysely
          .selectFrom(AUTHENTICATOR_SECRET_TABLE)
          .select("id")
          .where("user_id", "=", userId)
          .where("revoked_at", "is", null)
          .limit(1)
          .executeTakeFirst();
        return row !== undefined;
      } catch (error) {
        if (missingTableName(error) === AUTHENTICATOR_SECRET_TABLE) return false;
        throw error;
      }
    },
    { app: "mfa_authenticator" },
  );
}
