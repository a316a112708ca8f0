import type { Selectable } from "kysely";
import { booleanFromDatabase, parseTimestamp } from "../engine/values.js";
import type { PiccoloUserTable } from "./table.js";

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

/** A row of the public columns, as the drivers return it. */
export type UserRow = Pick<Selectable<PiccoloUserTable>, PublicColumn>;

export function userFromRow(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    // A row written by another tool may hold NULL despite the schema's NOT NULL default.
    email: row.email ?? "",
    firstName: row.first_name ?? null,
    lastName: row.last_name ?? null,
    active: booleanFromDatabase(row.active),
    admin: booleanFromDatabase(row.admin),
    superuser: booleanFromDatabase(row.superuser),
    lastLogin: parseTimestamp(row.last_login),
  };
}
