// `piccolo-ts`: users, password hashing, migrations and databases, and every error class. Sessions are in
// `piccolo-ts/session`, the admin in `piccolo-ts/admin`, so importing this loads neither them nor Hono.
// A curated list (at most 60 names, test/entry-points.test.ts): what a program needs, not every module's
// helpers.
export {
  PICCOLO_ERROR_CODES,
  type PiccoloErrorCode,
  PiccoloError,
  ValidationError,
  UserExistsError,
  UserNotFoundError,
  ConfigError,
  DatabaseConnectionError,
  TableMissingError,
  DatabaseError,
  MigrationError,
  LastSuperuserError,
  BusyError,
  MfaError,
  StoreUnavailableError,
} from "./errors.js";
import "./apps.js"; // registers the user, session_auth, token_auth, mfa_authenticator and admin_history migration apps with the runner

// Databases
export { connect, openDatabase, closeDatabases, type Database } from "./engine/connect.js";
export { parseDatabaseUrl, maskPassword, type DatabaseTarget, type PiccoloConfig } from "./engine/config.js";

// Users
export { BaseUser, type CreateUserInput, type Permissions, type ProfileChanges, type UserFilter, type ListUsersOptions } from "./user/base-user.js";
export type { User } from "./user/user-row.js";
export type { UserSettings } from "./user/settings.js";
export type { PiccoloTables } from "./user/table.js";
export { loginFieldLabel } from "./user/username-lookup.js";
export { foldUsername } from "./user/username-folding.js";
export { importUsers, type ImportOptions, type ImportResult } from "./user/import.js";
export { ApiTokens, type ApiTokenOptions } from "./user/api-tokens/tokens.js";
export { MfaAuthenticator, type MfaOptions } from "./user/mfa/index.js";

// Password hashing
export { hashPassword, hashPasswordSync, verifyPassword } from "./password/hasher.js";
export { configureHashing, hasherInfo, type HashingOptions, type HasherInfo } from "./password/hash-pool.js";
export { identifyLegacyHash, verifyLegacyHash, type LegacyHashFormat } from "./password/legacy-hashes.js";

// Migrations
export { migrateForwards, migrateBackwards, migrationStatus, previewForwards } from "./migrations/runner.js";
export type { Migration, MigrationApp } from "./migrations/types.js";
export { createUserApp } from "./user/migrations/index.js";
