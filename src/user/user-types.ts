// The shapes BaseUser's methods take and return, apart from the class itself (base-user.ts).
import type { User } from "./user-row.js";

/**
 * What `createUser` takes: a username and password (checked against the class's rules) and, optionally, the other columns.
 */
export interface CreateUserInput {
  /** Unique; at most `maxUsernameLength` characters, no control or invisible characters. */
  username: string;
  /** The plain password (never a hash): hashed with PBKDF2 before it is stored. */
  password: string;
  /** Unique when given (Piccolo stores `""` for none, and two users without one collide). */
  email?: string;
  /** The user's first name (optional). */
  firstName?: string | null;
  /** The user's last name (optional). */
  lastName?: string | null;
  /** Piccolo's defaults: every flag false. */
  active?: boolean;
  /** May use the admin. */
  admin?: boolean;
  /** May change other users in the admin. */
  superuser?: boolean;
}

/** A username (or, with `loginWithEmail`, an email) and password, as a login form sends them. */
export interface LoginCredentials {
  /** The username, or an email when the class has `loginWithEmail`. */
  username: string;
  /** The password as typed. */
  password: string;
}

/** Options of `BaseUser.login`. */
export interface LoginOptions {
  /**
   * Who may log in here (e.g. only active admins): when it returns false for a user whose password was
   * right, the login answers null and records nothing (no `last_login`), like a wrong password.
   */
  allow?: (user: User) => boolean;
  /**
   * Called once the identifier is looked up and before the password is hashed, with the id of the
   * account it names (null for none): the session layer counts the attempt under that account's rate
   * limit here, from the login's own query. Resolving false refuses the login (null) without a hash.
   * Not called when the identifier or password is one no stored user can have (no query is made).
   */
  beforeHash?: (account: { userId: number | null }) => Promise<boolean>;
}

/** The flags `changePermissions` sets; those left out keep their value. */
export interface Permissions {
  /** May use the admin (clearing it ends the user's sessions). */
  admin?: boolean;
  /** May change other users in the admin. */
  superuser?: boolean;
  /** May log in through the session layer (clearing it ends the user's sessions). */
  active?: boolean;
}

/** For changes that can take away the right to manage users. */
export interface GuardOptions {
  /** Refuse (`LastSuperuserError`) when no active admin superuser would remain. */
  keepOneAdminSuperuser?: boolean;
}

/** The fields `updateProfile` changes (with `createUser`'s rules); those left out keep their value. */
export interface ProfileChanges {
  /** A new username (unique). */
  username?: string;
  /** A new email (unique). */
  email?: string;
  /** A new first name, or null to clear it. */
  firstName?: string | null;
  /** A new last name, or null to clear it. */
  lastName?: string | null;
}

/** Users whose flags have these values (each optional; combined with AND). */
export interface UserFilter {
  /** Only active (true) or inactive (false) users. */
  active?: boolean;
  /** Only admins (true) or non-admins (false). */
  admin?: boolean;
  /** Only superusers (true) or the others (false). */
  superuser?: boolean;
  /**
   * Only users with two-factor authentication on (true) or off (false): an unrevoked row in
   * `authenticator_secret` (run the `mfa_authenticator` app first).
   */
  mfa?: boolean;
}

/** A page of `listUsers`: size, position, order, a search and flag filters. */
export interface ListUsersOptions {
  /** Rows per page, > 0 (default 20). */
  limit?: number;
  /** 1-based page, > 0 (default 1). */
  page?: number;
  /** A column other than password (snake_case as stored, or camelCase); `-` first for descending. Default `username`. */
  orderBy?: string;
  /** Case-insensitive substring of username, email, first or last name. */
  search?: string;
  /** Only users whose flags have these values. */
  filter?: UserFilter;
}

/** A user whose stored password needs attention: not a hash at all, or fewer iterations than required. */
export interface PasswordProblem {
  /** The user's id. */
  id: number;
  /** The user's username. */
  username: string;
  /** `legacy`: another system's hash (imported), replaced by a Piccolo hash at the next login. */
  problem: "malformed" | "weak" | "legacy";
  /** The stored iteration count, for `weak`. */
  iterations?: number;
  /** The format's name, for `legacy` (e.g. "Django pbkdf2_sha256"). */
  format?: string;
}

/** Where `BaseUser.logger` sends warnings (a console, pino, winston… all fit). */
export interface UserLogger {
  /** Receives one warning; it names user ids, never passwords or hashes. */
  warn(message: string): void;
}
