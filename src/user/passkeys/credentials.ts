// The passkeys of users, as rows of `passkey_credential`. Nothing here checks a signature (that is the
// session layer's ceremony); this stores what a verified registration produced and finds a credential
// only for the user row it was registered by (same id and username), so a stale row is never honoured.
import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import { runTranslated } from "../../engine/database-errors.js";
import { ValidationError } from "../../errors.js";
import { BaseUser } from "../base-user.js";
import { PASSKEY_TABLE } from "./migrations.js";

/** A passkey as listed to its owner or an operator: never the public key or credential id. */
export interface PasskeySummary {
  /** The row id. */
  id: number;
  userId: number;
  /** The name its owner gave it (unique per user). */
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Whether the authenticator says it is synced to other devices (a backed-up, multi-device passkey). */
  backedUp: boolean;
  /** The transports the authenticator named (`internal`, `usb`, `hybrid`, …). */
  transports: string[];
}

/** What a ceremony needs to verify an assertion: the stored key and counter. */
export interface StoredPasskey extends PasskeySummary {
  /** The credential id, base64url. */
  credentialId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  signCount: number;
}

/** A verified registration to keep. */
export interface NewPasskey {
  credentialId: string;
  publicKey: string;
  signCount: number;
  transports: readonly string[];
  backedUp: boolean;
  /** As the user typed it: checked here (`checkPasskeyName`). */
  name: unknown;
}

export const MAX_PASSKEY_NAME_LENGTH = 100;

/** The unique, indexable form of a credential id. */
export function credentialKey(credentialId: string): string {
  return createHash("sha256").update(credentialId, "utf8").digest("hex");
}

/** A name a user may give a passkey: trimmed, 1–100 characters, no control characters. */
export function checkPasskeyName(name: unknown): string {
  const text = typeof name === "string" ? name.trim() : "";
  if (text === "" || text.length > MAX_PASSKEY_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(text)) {
    throw new ValidationError(`A passkey's name is 1 to ${MAX_PASSKEY_NAME_LENGTH} characters, without control characters.`);
  }
  return text;
}

const SUMMARY_COLUMNS = ["p.id", "p.user_id", "p.name", "p.created_at", "p.last_used_at", "p.backed_up", "p.transports"] as const;

type Row = Record<string, unknown>;

function summaryOf(row: Row): PasskeySummary {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    name: String(row.name),
    createdAt: new Date(Number(row.created_at)),
    lastUsedAt: row.last_used_at === null || row.last_used_at === undefined ? null : new Date(Number(row.last_used_at)),
    backedUp: Number(row.backed_up) === 1 || row.backed_up === true,
    transports: String(row.transports ?? "").split(",").filter((each) => each !== ""),
  };
}

/**
 * The passkeys of one user class's users.
 *
 * @example
 * ```ts
 * const passkeys = new PasskeyCredentials(BaseUser);
 * for (const key of await passkeys.list(7)) console.log(key.name, key.lastUsedAt);
 * ```
 */
export class PasskeyCredentials {
  constructor(readonly users: typeof BaseUser = BaseUser) {}

  private async db(): Promise<{ kysely: Kysely<any>; run: <T>(work: () => Promise<T>) => Promise<T> }> {
    const database = await this.users.getDatabase();
    return { kysely: database.kysely, run: (work) => runTranslated(database, work, { app: "passkeys" }) };
  }

  /** The user's passkeys whose binding holds, oldest first. */
  async list(userId: number): Promise<PasskeySummary[]> {
    const rows = await this.boundRows((q) => q.where("p.user_id", "=", userId), SUMMARY_COLUMNS);
    return rows.map(summaryOf);
  }

  /** The user's passkeys with their keys (the credential ids a second-factor ceremony allows). */
  async listStored(userId: number): Promise<StoredPasskey[]> {
    const rows = await this.boundRows((q) => q.where("p.user_id", "=", userId), [...SUMMARY_COLUMNS, "p.credential_id", "p.public_key", "p.sign_count"]);
    return rows.map(storedOf);
  }

  /** The credential with this id, when its user row is still the one that registered it; else null. */
  async find(credentialId: string): Promise<StoredPasskey | null> {
    const rows = await this.boundRows((q) => q.where("p.credential_key", "=", credentialKey(credentialId)), [...SUMMARY_COLUMNS, "p.credential_id", "p.public_key", "p.sign_count"]);
    const row = rows[0];
    return row && row.credential_id === credentialId ? storedOf(row) : null;
  }

  /** Keeps a verified registration for the user (as named). ValidationError when the name is taken or invalid. */
  async add(userId: number, passkey: NewPasskey): Promise<PasskeySummary> {
    const name = checkPasskeyName(passkey.name);
    const { kysely, run } = await this.db();
    const owner = await kysely.selectFrom(this.users.tableName).select("username").where("id", "=", userId).executeTakeFirst();
    if (!owner) throw new ValidationError("There is no such user.");
    const taken = await kysely.selectFrom(PASSKEY_TABLE).select("id").where("user_id", "=", userId).where("name", "=", name).executeTakeFirst();
    if (taken) throw new ValidationError(`There is already a passkey named "${name}".`);
    const now = Date.now();
    await run(() =>
      kysely
        .insertInto(PASSKEY_TABLE)
        .values({
          user_id: userId,
          username: String(owner.username),
          credential_key: credentialKey(passkey.credentialId),
          credential_id: passkey.credentialId,
          public_key: passkey.publicKey,
          sign_count: passkey.signCount,
          transports: passkey.transports.filter((each) => /^[a-z-]{1,20}$/.test(each)).join(","),
          backed_up: passkey.backedUp ? 1 : 0,
          name,
          created_at: now,
        })
        .execute(),
    );
    const added = (await this.list(userId)).find((each) => each.name === name);
    if (!added) throw new ValidationError("The passkey could not be stored.");
    return added;
  }

  /** Renames one of the user's passkeys; false when it is not theirs. */
  async rename(userId: number, id: number, name: unknown): Promise<boolean> {
    const checked = checkPasskeyName(name);
    const { kysely, run } = await this.db();
    const taken = await kysely.selectFrom(PASSKEY_TABLE).select("id").where("user_id", "=", userId).where("name", "=", checked).where("id", "!=", id).executeTakeFirst();
    if (taken) throw new ValidationError(`There is already a passkey named "${checked}".`);
    const result = await run(() => kysely.updateTable(PASSKEY_TABLE).set({ name: checked }).where("id", "=", id).where("user_id", "=", userId).executeTakeFirst());
    return Number(result.numUpdatedRows) > 0;
  }

  /** Removes one of the user's passkeys, by row id or by name; false when there is none. */
  async remove(userId: number, which: { id: number } | { name: string }): Promise<boolean> {
    const { kysely, run } = await this.db();
    let query = kysely.deleteFrom(PASSKEY_TABLE).where("user_id", "=", userId);
    query = "id" in which ? query.where("id", "=", which.id) : query.where("name", "=", which.name);
    const result = await run(() => query.executeTakeFirst());
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * Records a use: the new counter and the time, only while the stored counter is still the one the
   * assertion was checked against (two logins racing with one assertion cannot both move it). False
   * when it moved meanwhile.
   */
  async recordUse(passkey: StoredPasskey, signCount: number): Promise<boolean> {
    const { kysely, run } = await this.db();
    const result = await run(() =>
      kysely
        .updateTable(PASSKEY_TABLE)
        .set({ sign_count: signCount, last_used_at: Date.now() })
        .where("id", "=", passkey.id)
        .where("sign_count", "=", passkey.signCount)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) > 0;
  }

  /** Rows joined to their user row, kept only where the user row still has the registering username. */
  private async boundRows(filter: (query: any) => any, columns: readonly string[]): Promise<Row[]> {
    const { kysely, run } = await this.db();
    const query = filter(
      kysely
        .selectFrom(`${PASSKEY_TABLE} as p`)
        .innerJoin(`${this.users.tableName} as u`, "u.id", "p.user_id")
        .select([...columns, "p.username as bound_username", "u.username as current_username"] as any),
    ).orderBy("p.id");
    const rows = (await run(() => query.execute())) as Row[];
    return rows.filter((row) => row.bound_username === row.current_username);
  }
}

function storedOf(row: Row): StoredPasskey {
  return { ...summaryOf(row), credentialId: String(row.credential_id), publicKey: String(row.public_key), signCount: Number(row.sign_count) };
}
