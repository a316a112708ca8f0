import { booleanFromDatabase, parseTimestamp } from "../engine/values.js";

/** A user as piccolo-ts returns it: every column but the password. */
export interface User {
  id: number;
  username: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  active: boolean;
  admin: boolean;
  superuser: boolean;
  lastLogin: Date | null;
}

/** The columns that may be read into a `User`, in Piccolo's column order (never `password`). */
export const PUBLIC_COLUMNS = [
  "id",
  "username",
  "email",
  "active",
  "admin",
  "first_name",
  "last_name",
  "superuser",
  "last_login",
] as const;

export type PublicColumn = (typeof PUBLIC_COLUMNS)[number];

export function userFromRow(row: Record<string, unknown>): User {
  return {
    id: Number(row.id),
    username: String(row.username),
    email: String(row.email ?? ""),
    firstName: (row.first_name as string | null | undefined) ?? null,
    lastName: (row.last_name as string | null | undefined) ?? null,
    active: booleanFromDatabase(row.active),
    admin: booleanFromDatabase(row.admin),
    superuser: booleanFromDatabase(row.superuser),
    lastLogin: parseTimestamp(row.last_login),
  };
}
