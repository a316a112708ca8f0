import type { Selectable } from "kysely";
import { booleanFromDatabase, parseTimestamp } from "../engine/values.js";
import type { PiccoloUserTable } from "./table.js";

/** A user as piccolo-ts returns it: every column but the password, in camelCase. */
export interface User {
  /** The row's id (Piccolo's serial primary key). */
  id: number;
  /** Unique; what the user logs in with. */
  username: string;
  /** Unique; `""` when the user has none (Piccolo's default). */
  email: string;
  /** First name, or null. */
  firstName: string | null;
  /** Last name, or null. */
  lastName: string | null;
  /** May log in through the session layer (piccolo_api's rule). */
  active: boolean;
  /** May use the admin. */
  admin: boolean;
  /** May change other users in the admin. */
  superuser: boolean;
  /** When the user last logged in (UTC), or null if never. */
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
