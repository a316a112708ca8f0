import type { ColumnType, Generated, Kysely } from "kysely";

/** Stored booleans: `boolean` on PostgreSQL, 1/0 on SQLite and MySQL. Write either; read with `booleanFromDatabase`. */
export type StoredBoolean = ColumnType<boolean | number, boolean | number | undefined, boolean | number>;
/** Stored timestamps: naive UTC text (`YYYY-MM-DD HH:MM:SS.ffffff`); read with `parseTimestamp`. */
export type StoredTimestamp = ColumnType<string, string, string>;

/** `piccolo_user`, as Piccolo's three `user` migrations leave it. */
export interface PiccoloUserTable {
  id: Generated<number>;
  username: string;
  /** `pbkdf2_sha256$iterations$salt$hash`. Never select it into anything you show or log. */
  password: string;
  email: ColumnType<string, string | undefined, string>;
  active: StoredBoolean;
  admin: StoredBoolean;
  first_name: ColumnType<string | null, string | null | undefined, string | null>;
  last_name: ColumnType<string | null, string | null | undefined, string | null>;
  superuser: StoredBoolean;
  last_login: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Piccolo's `migration` table: one row per migration ran, per app. */
export interface MigrationTable {
  id: Generated<number>;
  name: string;
  app_name: string;
  ran_on: ColumnType<string, string | undefined, string>;
}

/** piccolo_api's `sessions` table (`session_auth`); piccolo-ts stores a digest of the token. */
export interface SessionsTable {
  id: Generated<number>;
  token: string;
  user_id: number;
  expiry_date: StoredTimestamp;
  max_expiry_date: StoredTimestamp;
}

/**
 * Put these into your own Kysely `Database` interface to query or join the user table with full typing:
 * `interface DB extends PiccoloTables { posts: PostTable }`.
 */
export interface PiccoloTables {
  piccolo_user: PiccoloUserTable;
  migration: MigrationTable;
  sessions: SessionsTable;
}

/**
 * The package's own view of the database: the user table's name is chosen at run time
 * (`BaseUser.tableName`), so every name reads as a user table; the sessions table is typed by name.
 */
export type UserTables = Record<string, PiccoloUserTable> & { sessions: SessionsTable };
export type UserKysely = Kysely<UserTables>;
