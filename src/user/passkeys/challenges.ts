// WebAuthn challenges kept server-side, in the database every process shares: a challenge is taken
// (deleted) by the one request that uses it, whether its answer then verifies or not, and lapses after
// a few minutes. Only a digest of the challenge is stored.
import { createHash, randomBytes } from "node:crypto";
import { BaseUser } from "../base-user.js";
import { runTranslated } from "../../engine/database-errors.js";
import { PASSKEY_CHALLENGE_TABLE } from "./migrations.js";

/** What a challenge was issued for: adding a passkey, a passwordless login, or the step after a password. */
export type ChallengePurpose = "register" | "login" | "second";

/** How long a ceremony may take. */
export const CHALLENGE_TTL_MS = 5 * 60_000;
/** Passwordless challenges waiting at once, at most (a few MB of rows); past it, a 503 until some lapse. */
export const MAX_PENDING_LOGIN_CHALLENGES = 10_000;

const digest = (challenge: string) => createHash("sha256").update(challenge, "utf8").digest("hex");

export class PasskeyChallenges {
  constructor(readonly users: typeof BaseUser = BaseUser) {}

  /** A new challenge (base64url of 32 random bytes) for this purpose and user, stored until used or expired. */
  async issue(purpose: ChallengePurpose, userId: number): Promise<string> {
    return (await this.store(purpose, userId, Number.POSITIVE_INFINITY))!;
  }

  /**
   * A challenge for a passwordless login, or null while `MAX_PENDING_LOGIN_CHALLENGES` wait already:
   * anyone may ask for one without logging in, so their number is bounded before anything is stored.
   */
  async issueLogin(): Promise<string | null> {
    return this.store("login", null, MAX_PENDING_LOGIN_CHALLENGES);
  }

  private async store(purpose: ChallengePurpose, userId: number | null, cap: number): Promise<string | null> {
    const challenge = randomBytes(32).toString("base64url");
    const database = await this.users.getDatabase();
    const now = Date.now();
    return runTranslated(database, async () => {
      // Lapsed challenges go as new ones come, so the table stays as small as the ceremonies in flight.
      await database.kysely.deleteFrom(PASSKEY_CHALLENGE_TABLE).where("expires_at", "<", now).execute();
      if (Number.isFinite(cap)) {
        const pending = await database.kysely
          .selectFrom(PASSKEY_CHALLENGE_TABLE)
          .select((eb) => eb.fn.countAll().as("n"))
          .where("purpose", "=", purpose)
          .executeTakeFirst();
        if (Number(pending?.n ?? 0) >= cap) return null;
      }
      await database.kysely
        .insertInto(PASSKEY_CHALLENGE_TABLE)
        .values({ challenge_key: digest(challenge), purpose, user_id: userId, expires_at: now + CHALLENGE_TTL_MS })
        .execute();
      return challenge;
    }, { app: "passkeys" });
  }

  /**
   * Takes the challenge: true once, when it exists for this purpose (and user, when given) and has not
   * expired. The row is deleted by this call whatever the answer, so a replay finds nothing.
   */
  async take(challenge: string, purpose: ChallengePurpose, userId: number | null): Promise<{ userId: number | null } | null> {
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(challenge)) return null;
    const database = await this.users.getDatabase();
    const key = digest(challenge);
    return runTranslated(database, async () => {
      const row = await database.kysely.selectFrom(PASSKEY_CHALLENGE_TABLE).select(["id", "purpose", "user_id", "expires_at"]).where("challenge_key", "=", key).executeTakeFirst();
      if (!row) return null;
      // Only the request whose DELETE removed the row may use it: two racing with one challenge get one success.
      const deleted = await database.kysely.deleteFrom(PASSKEY_CHALLENGE_TABLE).where("id", "=", row.id).executeTakeFirst();
      if (Number(deleted.numDeletedRows) !== 1) return null;
      const owner = row.user_id === null ? null : Number(row.user_id);
      if (row.purpose !== purpose || Number(row.expires_at) < Date.now()) return null;
      if (userId !== null && owner !== userId) return null;
      return { userId: owner };
    }, { app: "passkeys" });
  }
}
