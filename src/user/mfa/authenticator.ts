// Two-factor authentication with an authenticator app, on piccolo_api's `authenticator_secret` table:
// enrollment (confirmed by a code before it counts), code checks with a replay guard, recovery codes,
// revocation and re-encryption. The session layer and the admin call this; the CLI too.
import type { Kysely } from "kysely";
import type { Database } from "../../engine/connect.js";
import { runTranslated } from "../../engine/database-errors.js";
import { withWriteTransaction } from "../../engine/transaction.js";
import { ConfigError, MfaError, UserNotFoundError } from "../../errors.js";
import { BaseUser } from "../base-user.js";
import type { UserRef } from "../find-user.js";
import type { User } from "../user-row.js";
import { createMfaEncryption, type MfaEncryption, type MfaEncryptionOptions } from "./encryption.js";
import { openEnrollment, sealEnrollment } from "./enrollment-token.js";
import { AUTHENTICATOR_SECRET_TABLE } from "./migrations.js";
import { qrCodeSvg } from "./qr.js";
import { generateRecoveryCodes, hashRecoveryCodes, matchRecoveryCode, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from "./recovery-codes.js";
import { arrayToDatabase, awareTimestamp, ROW_COLUMNS, rowFromDatabase, timestampsToDatabase, type AuthenticatorRow } from "./stored-row.js";
import { DEFAULT_MFA_ISSUER, generateTotpSecret, matchTotpStep, normalizeTotpCode, provisioningUri, totpCodeAt, totpCounter } from "./totp.js";

/** How two-factor authentication is set up. */
export interface MfaOptions {
  /** The secret's encryption (default `xchacha20` with the key in `PICCOLO_MFA_KEY`), or one already made. */
  encryption?: MfaEncryptionOptions | MfaEncryption;
  /** Shown by authenticator apps (default piccolo_api's `Piccolo-MFA`). */
  issuer?: string;
  /** The user class (its table and database); default BaseUser. */
  users?: typeof BaseUser;
}

/** A started enrollment: show `qrSvg` and `secret`, keep `pending` for the confirmation. */
export interface PendingEnrollment {
  /** The base32 secret, to type into an app that cannot scan. */
  secret: string;
  /** The `otpauth://` URI the QR code holds. */
  uri: string;
  /** The QR code as an SVG document (made locally, no network). */
  qrSvg: string;
  /** The sealed secret to send back with the first code (valid 10 minutes, for this user only). */
  pending: string;
}

/** Where a user stands. */
export interface MfaStatus {
  enrolled: boolean;
  /** When the current enrollment was made. */
  since: Date | null;
  /** Unused recovery codes of the current enrollment. */
  recoveryCodesLeft: number;
  lastUsedAt: Date | null;
}

/** The outcome of a code check. */
export type MfaCheck = { ok: true; method: "totp" | "recovery"; recoveryCodesLeft: number } | { ok: false };

type Row = Record<string, unknown>;

/**
 * Two-factor authentication (TOTP authenticator apps + recovery codes) stored as piccolo_api stores it,
 * so a user enrolled in Piccolo Admin is enrolled here and the reverse. The key is checked when this is
 * made: a missing or malformed one is a ConfigError at start-up.
 *
 * @example
 * ```ts
 * const mfa = new MfaAuthenticator(); // xchacha20, key from PICCOLO_MFA_KEY
 * const started = await mfa.beginEnrollment("bob");      // show started.qrSvg and started.secret
 * const done = await mfa.confirmEnrollment("bob", started.pending, "123456");
 * if (done) console.log(done.recoveryCodes);               // shown once
 * ```
 */
export class MfaAuthenticator {
  readonly encryption: MfaEncryption;
  readonly issuer: string;
  readonly users: typeof BaseUser;

  constructor(options: MfaOptions = {}) {
    const given = options.encryption;
    this.encryption = given && "encrypt" in given ? given : createMfaEncryption(given);
    this.issuer = options.issuer ?? DEFAULT_MFA_ISSUER;
    this.users = options.users ?? BaseUser;
  }

  /** Starts an enrollment; nothing is stored until `confirmEnrollment` gets a right code. */
  async beginEnrollment(userRef: UserRef): Promise<PendingEnrollment> {
    const user = await this.user(userRef);
    const secret = generateTotpSecret();
    const uri = provisioningUri(secret, user.email || user.username, this.issuer);
    return { secret, uri, qrSvg: qrCodeSvg(uri), pending: sealEnrollment(this.encryption.sealingKey, user.id, secret) };
  }

  /** A started enrollment shown again (its QR code and secret), or null when `pending` expired or is another user's. */
  async reopenEnrollment(userRef: UserRef, pending: unknown): Promise<PendingEnrollment | null> {
    const user = await this.user(userRef);
    const secret = openEnrollment(this.encryption.sealingKey, user.id, pending);
    if (!secret) return null;
    const uri = provisioningUri(secret, user.email || user.username, this.issuer);
    return { secret, uri, qrSvg: qrCodeSvg(uri), pending: String(pending) };
  }

  /**
   * Finishes an enrollment when `code` is the app's current code: replaces any earlier enrollment and
   * answers the recovery codes (the only time they exist in clear). Null for a wrong code; MfaError for
   * an expired or foreign `pending`.
   */
  async confirmEnrollment(userRef: UserRef, pending: unknown, code: unknown): Promise<{ recoveryCodes: string[] } | null> {
    const user = await this.user(userRef);
    const secret = openEnrollment(this.encryption.sealingKey, user.id, pending);
    if (!secret) throw new MfaError("This enrollment has expired or belongs to another user: start again.");
    const typed = normalizeTotpCode(code);
    const step = typed ? matchTotpStep(secret, typed) : null;
    if (step === null) return null;
    const recoveryCodes = await this.store(user.id, secret, typed);
    return { recoveryCodes };
  }

  /**
   * Enrolls at once, without a confirming code: for provisioning (`piccolo user mfa enroll --json`),
   * where the secret goes straight into the user's app. Answers the secret, URI and recovery codes once.
   */
  async enroll(userRef: UserRef): Promise<{ secret: string; uri: string; recoveryCodes: string[] }> {
    const user = await this.user(userRef);
    const secret = generateTotpSecret();
    const recoveryCodes = await this.store(user.id, secret, null);
    return { secret, uri: provisioningUri(secret, user.email || user.username, this.issuer), recoveryCodes };
  }

  async status(userRef: UserRef): Promise<MfaStatus> {
    const user = await this.user(userRef);
    const row = await this.activeRow(await this.database(), user.id);
    return {
      enrolled: row !== undefined,
      since: row?.createdAt ?? null,
      recoveryCodesLeft: row?.recoveryCodes.length ?? 0,
      lastUsedAt: row?.lastUsedAt ?? null,
    };
  }

  /**
   * Checks at start-up that the table exists and that the key opens the newest stored secret: a wrong key
   * or provider is a ConfigError now, not a failed login later. Does nothing more when nobody is enrolled.
   *
   * @example
   * ```ts
   * const mfa = new MfaAuthenticator();
   * await mfa.checkKey(); // before serving
   * ```
   */
  async checkKey(): Promise<void> {
    const database = await this.database();
    const row = (await runTranslated(database, () =>
      database.kysely.selectFrom(AUTHENTICATOR_SECRET_TABLE).select("secret").where("revoked_at", "is", null).orderBy("id", "desc").limit(1).executeTakeFirst(),
      { app: "mfa_authenticator" },
    )) as Row | undefined;
    if (!row) return;
    try {
      this.encryption.decrypt(String(row.secret));
    } catch (error) {
      throw new ConfigError(`The ${this.encryption.provider} MFA key does not open the stored secrets: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Whether user `userId` has an enrollment that is not revoked (piccolo_api's `is_user_enrolled`). */
  async isEnrolled(userId: number): Promise<boolean> {
    return (await this.activeRow(await this.database(), userId)) !== undefined;
  }

  /** The ids among `userIds` that are enrolled (one query; for lists). */
  async enrolledAmong(userIds: readonly number[]): Promise<Set<number>> {
    if (userIds.length === 0) return new Set();
    const database = await this.database();
    const rows = await runTranslated(database, () =>
      database.kysely.selectFrom(AUTHENTICATOR_SECRET_TABLE).select("user_id").where("user_id", "in", [...userIds]).where("revoked_at", "is", null).execute(),
      { app: "mfa_authenticator" },
    );
    return new Set(rows.map((row: Row) => Number(row.user_id)));
  }

  /**
   * Checks a code typed at login: the app's code (±1 step, spaces allowed, never the last one used nor an
   * older one) or an unused recovery code (consumed). A recovery-code check is one hash on the bounded pool.
   */
  async verify(userId: number, typed: unknown): Promise<MfaCheck> {
    const database = await this.database();
    const totp = normalizeTotpCode(typed);
    const recovery = totp ? null : normalizeRecoveryCode(typed);
    if (!totp && !recovery) return { ok: false };
    const current = await this.activeRow(database, userId);
    if (!current) return { ok: false };
    const matchedRecovery = recovery ? await matchRecoveryCode(recovery, current.recoveryCodes) : -1;
    if (recovery && matchedRecovery < 0) return { ok: false };
    return runTranslated(database, () =>
      withWriteTransaction(database, async (db) => {
        // Read again under the write lock: two requests with one code must not both pass.
        const row = await this.activeRow(database, userId, db, true);
        if (!row || row.id !== current.id) return { ok: false } as const;
        if (totp) return this.useTotp(database, db, row, totp);
        const stored = current.recoveryCodes[matchedRecovery]!;
        const index = row.recoveryCodes.indexOf(stored);
        if (index < 0) return { ok: false } as const;
        const left = row.recoveryCodes.filter((_, i) => i !== index);
        await db
          .updateTable(AUTHENTICATOR_SECRET_TABLE)
          .set({
            recovery_codes: arrayToDatabase(database.dialect, left),
            recovery_codes_used_at: timestampsToDatabase(database.dialect, [...row.recoveryCodesUsedAt, new Date()]),
          })
          .where("id", "=", row.id)
          .execute();
        return { ok: true, method: "recovery", recoveryCodesLeft: left.length } as const;
      }),
      { app: "mfa_authenticator" },
    );
  }

  private async useTotp(database: Database, db: Kysely<any>, row: AuthenticatorRow, code: string): Promise<MfaCheck> {
    // piccolo_api's replay guard, first and before any decryption.
    if (row.lastUsedCode === code) return { ok: false };
    const secret = this.encryption.decrypt(row.secret);
    const step = matchTotpStep(secret, code);
    if (step === null || step <= this.lastUsedStep(secret, row)) return { ok: false };
    await db
      .updateTable(AUTHENTICATOR_SECRET_TABLE)
      .set({ last_used_at: awareTimestamp(database.dialect, new Date()), last_used_code: code })
      .where("id", "=", row.id)
      .execute();
    return { ok: true, method: "totp", recoveryCodesLeft: row.recoveryCodes.length };
  }

  /**
   * The step of the last code used, found from piccolo_api's own columns (the code and when it was
   * used): a code of that step or an earlier one is refused too, not only the very same code.
   */
  private lastUsedStep(secret: string, row: AuthenticatorRow): number {
    if (!row.lastUsedCode || !row.lastUsedAt) return -Infinity;
    const at = totpCounter(row.lastUsedAt.getTime());
    for (let step = at + 1; step >= at - 1; step--) if (totpCodeAt(secret, step) === row.lastUsedCode) return step;
    return -Infinity;
  }

  /** Revokes the user's enrollment(s) (rows are kept, as piccolo_api does). Answers whether there was one. */
  async revoke(userRef: UserRef): Promise<boolean> {
    const user = await this.user(userRef);
    const database = await this.database();
    const result = await runTranslated(database, () =>
      database.kysely
        .updateTable(AUTHENTICATOR_SECRET_TABLE)
        .set({ revoked_at: awareTimestamp(database.dialect, new Date()) })
        .where("user_id", "=", user.id)
        .where("revoked_at", "is", null)
        .executeTakeFirst(),
      { app: "mfa_authenticator" },
    );
    return result.numUpdatedRows > 0n;
  }

  /** Replaces the recovery codes of the current enrollment; answers the new ones (shown once). */
  async regenerateRecoveryCodes(userRef: UserRef): Promise<string[]> {
    const user = await this.user(userRef);
    const database = await this.database();
    const row = await this.activeRow(database, user.id);
    if (!row) throw new MfaError(`${user.username} has no two-factor authentication.`);
    const codes = generateRecoveryCodes();
    const hashes = await hashRecoveryCodes(codes);
    await runTranslated(database, () =>
      database.kysely
        .updateTable(AUTHENTICATOR_SECRET_TABLE)
        .set({ recovery_codes: arrayToDatabase(database.dialect, hashes) })
        .where("id", "=", row.id)
        .execute(),
      { app: "mfa_authenticator" },
    );
    return codes;
  }

  /**
   * Re-encrypts every stored secret (revoked ones too, so the old key can go) from this authenticator's
   * encryption to `target`. Rows already readable with `target` are left alone; rows neither key opens
   * are counted in `failed` (and left as they are).
   */
  async rekey(target: MfaEncryption): Promise<{ rekeyed: number; unchanged: number; failed: number }> {
    const database = await this.database();
    const rows = await runTranslated(database, () =>
      database.kysely.selectFrom(AUTHENTICATOR_SECRET_TABLE).select(["id", "secret"]).orderBy("id").execute(),
      { app: "mfa_authenticator" },
    );
    const outcome = { rekeyed: 0, unchanged: 0, failed: 0 };
    for (const row of rows as Row[]) {
      const stored = String(row.secret);
      if (opens(target, stored)) {
        outcome.unchanged++;
        continue;
      }
      let secret: string;
      try {
        secret = this.encryption.decrypt(stored);
      } catch {
        outcome.failed++;
        continue;
      }
      // Only if unchanged meanwhile: a re-enrollment since the read must not be overwritten.
      await runTranslated(database, () =>
        database.kysely.updateTable(AUTHENTICATOR_SECRET_TABLE).set({ secret: target.encrypt(secret) }).where("id", "=", Number(row.id)).where("secret", "=", stored).execute(),
        { app: "mfa_authenticator" },
      );
      outcome.rekeyed++;
    }
    return outcome;
  }

  /** Hashes new recovery codes, then in one transaction revokes earlier enrollments and stores this one. */
  private async store(userId: number, secret: string, confirmingCode: string | null): Promise<string[]> {
    const codes = generateRecoveryCodes(RECOVERY_CODE_COUNT);
    const hashes = await hashRecoveryCodes(codes);
    const database = await this.database();
    const { dialect } = database;
    const now = new Date();
    await runTranslated(database, () =>
      withWriteTransaction(database, async (db) => {
        await db.updateTable(AUTHENTICATOR_SECRET_TABLE).set({ revoked_at: awareTimestamp(dialect, now) }).where("user_id", "=", userId).where("revoked_at", "is", null).execute();
        await db
          .insertInto(AUTHENTICATOR_SECRET_TABLE)
          .values({
            user_id: userId,
            secret: this.encryption.encrypt(secret),
            recovery_codes: arrayToDatabase(dialect, hashes),
            recovery_codes_used_at: arrayToDatabase(dialect, []),
            created_at: awareTimestamp(dialect, now),
            revoked_at: null,
            // The confirming code counts as used: it cannot also log in.
            last_used_at: confirmingCode ? awareTimestamp(dialect, now) : null,
            last_used_code: confirmingCode,
          })
          .execute();
      }),
      { app: "mfa_authenticator" },
    );
    return codes;
  }

  /** The newest unrevoked enrollment (piccolo_api's choice), or undefined. */
  private async activeRow(database: Database, userId: number, db: Kysely<any> = database.kysely, forUpdate = false): Promise<AuthenticatorRow | undefined> {
    const read = async () => {
      let query = db
        .selectFrom(AUTHENTICATOR_SECRET_TABLE)
        .select([...ROW_COLUMNS])
        .where("user_id", "=", userId)
        .where("revoked_at", "is", null)
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(1);
      if (forUpdate && database.dialect.supportsForUpdate) query = query.forUpdate();
      const row = (await query.executeTakeFirst()) as Row | undefined;
      return row ? rowFromDatabase(row) : undefined;
    };
    return db === database.kysely ? runTranslated(database, read, { app: "mfa_authenticator" }) : read();
  }

  private database(): Promise<Database> {
    return this.users.getDatabase();
  }

  private async user(ref: UserRef): Promise<User> {
    const user = await this.users.getUser(ref);
    if (!user) throw new UserNotFoundError(ref);
    return user;
  }
}

function opens(encryption: MfaEncryption, stored: string): boolean {
  try {
    encryption.decrypt(stored);
    return true;
  } catch {
    return false;
  }
}
