import type { ColumnType, Generated, Kysely } from "kysely";
import type { MigrationTable } from "../migrations/migration-table.js";

export type { MigrationTable };

/** Stored booleans: `boolean` on PostgreSQL, 1/0 on SQLite and MySQL. Write either; read with `booleanFromDatabase`. */
export type StoredBoolean = ColumnType<boolean | number, boolean | number | undefined, boolean | number>;
/** Stored timestamps: naive UTC text (`YYYY-MM-DD HH:MM:SS.ffffff`); read with `parseTimestamp`. */
export type StoredTimestamp = ColumnType<string, string, string>;

/** `piccolo_user`, as Piccolo's three `user` migrations leave it (Kysely column types). */
export interface PiccoloUserTable {
  /** Serial primary key. */
  id: Generated<number>;
  /** `varchar(100)`, unique. */
  username: string;
  /** `pbkdf2_sha256$iterations$salt$hash`. Never select it into anything you show or log. */
  password: string;
  /** `varchar(255)`, unique; `""` for none. */
  email: ColumnType<string, string | undefined, string>;
  /** Boolean, default false. */
  active: StoredBoolean;
  /** Boolean, default false. */
  admin: StoredBoolean;
  /** Nullable `varchar(255)`. */
  first_name: ColumnType<string | null, string | null | undefined, string | null>;
  /** Nullable `varchar(255)`. */
  last_name: ColumnType<string | null, string | null | undefined, string | null>;
  /** Boolean, default false. */
  superuser: StoredBoolean;
  /** Naive UTC timestamp text, or null. */
  last_login: ColumnType<string | null, string | null | undefined, string | null>;
}


/** piccolo_api's `sessions` table (`session_auth`); piccolo-ts stores a digest of the token. */
export interface SessionsTable {
  /** Serial primary key. */
  id: Generated<number>;
  /** The SHA-256 digest of the session token (hex), never the token. */
  token: string;
  /** The user's id. */
  user_id: number;
  /** When the session ends unless used (extended while in use). */
  expiry_date: StoredTimestamp;
  /** When the session ends however much it is used. */
  max_expiry_date: StoredTimestamp;
  /**
   * piccolo-ts's keyed digest of the token and the user row the session was made for (null in rows Python
   * writes, which piccolo-ts refuses). Added by piccolo-ts's `session_auth` migration of 2026-12-06.
   */
  user_binding: ColumnType<string | null, string | null | undefined, string | null>;
}

/**
 * Put these into your own Kysely `Database` interface to query or join the user table with full typing:
 * `interface DB extends PiccoloTables { posts: PostTable }`.
 */
export interface PiccoloTables {
  /** The user table (under its default name). */
  piccolo_user: PiccoloUserTable;
  /** Piccolo's record of the migrations that ran. */
  migration: MigrationTable;
  /** piccolo_api's sessions. */
  sessions: SessionsTable;
}

/**
 * The package's own view of the database: the user table's name is chosen at run time
 * (`BaseUser.tableName`), so every name reads as a user table; the sessions table is typed by name.
 */
export type UserTables = Record<string, PiccoloUserTable> & { sessions: SessionsTable };
export type UserKysely = Kysely<UserTables>;
