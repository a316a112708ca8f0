import { useDatabase, type Database } from "../engine/connect.js";
import { runTranslated } from "../engine/database-errors.js";
import { nowTimestamp, parseTimestamp } from "../engine/values.js";
import type { User } from "../user/user-row.js";
import { ADMIN_HISTORY_TABLE, adminHistoryApp } from "./migrations/index.js";

/** One changed field: old → new. Flags and profile fields only; a password is never a `Change`. */
export interface Change {
  field: string;
  from: string | boolean | null;
  to: string | boolean | null;
}

export type HistoryAction = "created" | "profile" | "permissions" | "password" | "deleted" | "mfa_revoked" | "passkey_removed";

export interface HistoryEntry {
  id: number;
  at: Date;
  actorId: number;
  actorUsername: string;
  userId: number;
  username: string;
  action: HistoryAction;
  changes: Change[];
}

/** The admin's history table (created by the `admin_history` migration app); the only table the admin queries itself. */
export class AdminHistory {
  private ready = false;

  constructor(private readonly database: string | Database | undefined) {}

  private async run<T>(work: (db: Database) => Promise<T>): Promise<T> {
    const db = await useDatabase(this.database);
    return runTranslated(db, () => work(db), { app: adminHistoryApp.name });
  }

  /** Fails with "run `piccolo migrations forwards admin_history`" before a change is made that could not be recorded. */
  async assertReady(): Promise<void> {
    if (this.ready) return;
    await this.run((db) => db.kysely.selectFrom(ADMIN_HISTORY_TABLE).select("id").limit(1).execute());
    this.ready = true;
  }

  async record(actor: User, user: Pick<User, "id" | "username">, action: HistoryAction, changes: Change[] = []): Promise<void> {
    await this.run((db) =>
      db.kysely
        .insertInto(ADMIN_HISTORY_TABLE)
        .values({
          created_at: nowTimestamp(),
          actor_id: actor.id,
          actor_username: actor.username,
          user_id: user.id,
          username: user.username,
          action,
          changes: JSON.stringify(changes),
        })
        .execute(),
    );
  }

  /** After a delete: the user's entries stay, but no later user with the same id (SQLite reuses ids) shows them. */
  async retire(userId: number): Promise<void> {
    await this.run((db) => db.kysely.updateTable(ADMIN_HISTORY_TABLE).set({ retired: 1 }).where("user_id", "=", userId).execute());
  }

  /** A page of one user's history, newest first. */
  async listFor(userId: number, page: number, limit: number): Promise<HistoryEntry[]> {
    const rows = await this.run((db) =>
      db.kysely
        .selectFrom(ADMIN_HISTORY_TABLE)
        .selectAll()
        .where("user_id", "=", userId)
        .where("retired", "=", 0)
        .orderBy("id", "desc")
        .limit(limit)
        .offset((page - 1) * limit)
        .execute(),
    );
    return rows.map((row) => ({
      id: Number(row.id),
      at: parseTimestamp(row.created_at) ?? new Date(0),
      actorId: Number(row.actor_id),
      actorUsername: String(row.actor_username),
      userId: Number(row.user_id),
      username: String(row.username),
      action: String(row.action) as HistoryAction,
      changes: parseChanges(row.changes),
    }));
  }

  async countFor(userId: number): Promise<number> {
    const row = await this.run((db) =>
      db.kysely
        .selectFrom(ADMIN_HISTORY_TABLE)
        .select((eb) => eb.fn.countAll().as("count"))
        .where("user_id", "=", userId)
        .where("retired", "=", 0)
        .executeTakeFirstOrThrow(),
    );
    return Number(row.count);
  }
}

function parseChanges(text: unknown): Change[] {
  try {
    const value: unknown = JSON.parse(String(text));
    return Array.isArray(value) ? (value as Change[]) : [];
  } catch {
    return [];
  }
}

const PROFILE_FIELDS = [
  ["username", "username"],
  ["email", "email"],
  ["firstName", "first_name"],
  ["lastName", "last_name"],
] as const;
const FLAGS = ["active", "admin", "superuser"] as const;

/** What differs between two states of a user: profile fields and flags (never a password, which a `User` lacks). */
export function diffUser(before: Partial<User> | null, after: Partial<User>): Change[] {
  const changes: Change[] = [];
  for (const [key, field] of PROFILE_FIELDS) {
    const from = before ? (before[key] ?? null) : null;
    const to = after[key] ?? null;
    if (key in after && (from ?? "") !== (to ?? "")) changes.push({ field, from, to });
  }
  for (const flag of FLAGS) {
    const to = after[flag];
    const from = before ? (before[flag] ?? false) : null;
    if (to !== undefined && from !== to) changes.push({ field: flag, from, to });
  }
  return changes;
}
