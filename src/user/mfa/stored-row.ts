// An `authenticator_secret` row as each engine stores it, read into one shape and written back in
// piccolo_api's form: PostgreSQL arrays; on SQLite JSON text with Python's ", " separators; on MySQL JSON.
// Aware timestamps are UTC text `YYYY-MM-DD HH:MM:SS.ffffff+00:00` (MySQL: naive UTC, its column has no zone).
import type { EngineDialect } from "../../engine/dialects/index.js";
import { parseTimestamp, toStoredTimestamp } from "../../engine/values.js";

/** One enrollment as read from the table. */
export interface AuthenticatorRow {
  id: number;
  userId: number;
  secret: string;
  recoveryCodes: string[];
  recoveryCodesUsedAt: Date[];
  createdAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  lastUsedCode: string | null;
}

export const ROW_COLUMNS = [
  "id",
  "user_id",
  "secret",
  "recovery_codes",
  "recovery_codes_used_at",
  "created_at",
  "revoked_at",
  "last_used_at",
  "last_used_code",
] as const;

function arrayFrom(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value !== "string" || value === "") return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

export function rowFromDatabase(row: Record<string, unknown>): AuthenticatorRow {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    secret: String(row.secret ?? ""),
    recoveryCodes: arrayFrom(row.recovery_codes).filter((code): code is string => typeof code === "string"),
    recoveryCodesUsedAt: arrayFrom(row.recovery_codes_used_at)
      .map((value) => parseTimestamp(value))
      .filter((date): date is Date => date !== null),
    createdAt: parseTimestamp(row.created_at),
    revokedAt: parseTimestamp(row.revoked_at),
    lastUsedAt: parseTimestamp(row.last_used_at),
    lastUsedCode: typeof row.last_used_code === "string" ? row.last_used_code : null,
  };
}

/** An aware UTC timestamp as piccolo_api writes it (`str(datetime.now(tz=utc))`). */
export function awareTimestamp(dialect: EngineDialect, date: Date): string {
  return `${toStoredTimestamp(date)}${dialect.utcOffsetSuffix}`;
}

/** An array column's value: the array itself for PostgreSQL, else Python's `json.dumps` text. */
export function arrayToDatabase(dialect: EngineDialect, values: readonly string[]): string | string[] {
  if (!dialect.arraysAsJson) return [...values];
  return `[${values.map((value) => JSON.stringify(value)).join(", ")}]`;
}

export function timestampsToDatabase(dialect: EngineDialect, dates: readonly Date[]): string | string[] {
  return arrayToDatabase(dialect, dates.map((date) => awareTimestamp(dialect, date)));
}
