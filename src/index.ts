// The public API of piccolo-ts. Everything a user imports comes from here.
export {
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
export { resolveDatabase, parseDatabaseUrl, maskPassword } from "./engine/config.js";
export type { DatabaseTarget, EngineName, PiccoloConfig } from "./engine/config.js";
export type { SqliteOptions } from "./engine/sqlite-options.js";
export type { DriverError } from "./engine/dialects/types.js";
export type { NamedConnectionError, ConnectionCause } from "./engine/connection-causes.js";
export { connect, openDatabase, closeDatabases } from "./engine/connect.js";
export type { EngineDialect } from "./engine/dialects/index.js";
export type { Database } from "./engine/connect.js";
export { BaseUser } from "./user/base-user.js";
export type {
  CreateUserInput,
  LoginCredentials,
  Permissions,
  LoginOptions,
  GuardOptions,
  ProfileChanges,
  UserFilter,
  ListUsersOptions,
  UserRef,
  UserLogger,
  PasswordProblem,
} from "./user/base-user.js";
export type { User } from "./user/user-row.js";
export { loginFieldLabel } from "./user/username-lookup.js";
export type { UsernameModes } from "./user/username-lookup.js";
export type { SyncSettings } from "./user/sync.js";
export { foldUsername } from "./user/username-folding.js";
export { identifyLegacyHash, verifyLegacyHash, LEGACY_FORMAT_NAMES, LEGACY_COST_CAPS } from "./user/legacy-hashes.js";
export type { LegacyHashFormat } from "./user/legacy-hashes.js";
export { importUsers, detectFormat as detectImportFormat } from "./user/import.js";
export type { ImportFormat, ImportOptions, ImportProblem, ImportResult, ImportTarget } from "./user/import.js";
export { userCaseInsensitiveApp, createUserCaseInsensitiveApp } from "./user/migrations/case-insensitive/index.js";
export {
  hashPassword,
  hashPasswordSync,
  verifyPassword,
  parseStoredHash,
  isWellFormedHash,
  DEFAULT_ITERATIONS,
} from "./user/hasher.js";
export type { ParsedHash } from "./user/hasher.js";
export { configureHashing, hasherInfo } from "./user/hash-pool.js";
export type { HashingOptions, HasherInfo } from "./user/hash-pool.js";
export type { NativeKernel } from "./user/hash-native.js";
export {
  migrateForwards,
  migrateBackwards,
  migrationStatus,
  previewForwards,
} from "./migrations/runner.js";
export type {
  AppSelector,
  MigrationDirection,
  MigrationEvent,
  ForwardsOptions,
  ForwardsResult,
  AppForwardsResult,
  BackwardsOptions,
  BackwardsResult,
  AppBackwardsResult,
  BackwardsPlan,
  MigrationStatusOptions,
  MigrationStatus,
  PreviewOptions,
  MigrationPreview,
} from "./migrations/runner.js";
export type { Migration, MigrationApp, MigrationContext } from "./migrations/types.js";
export { registerMigrationApps } from "./migrations/registry.js";
export { userApp, createUserApp } from "./user/migrations/index.js";
export { tokenAuthApp, TOKEN_AUTH_TABLE } from "./user/api-tokens/migrations.js";
export { ApiTokens } from "./user/api-tokens/tokens.js";
export type { ApiTokenOptions, ApiTokenInfo, TokenStorage } from "./user/api-tokens/tokens.js";
export {
  MfaAuthenticator,
  createMfaEncryption,
  generateMfaKey,
  MFA_KEY_VARIABLE,
  mfaAuthenticatorApp,
  AUTHENTICATOR_SECRET_TABLE,
  generateTotpSecret,
  totpCode,
  provisioningUri,
  normalizeTotpCode,
  DEFAULT_MFA_ISSUER,
  generateRecoveryCodes,
  hashRecoveryCodes,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
  qrCodeSvg,
} from "./user/mfa/index.js";
export type { MfaOptions, PendingEnrollment, MfaStatus, MfaCheck, MfaEncryption, MfaEncryptionOptions, MfaEncryptionProvider } from "./user/mfa/index.js";
export type { PiccoloTables, PiccoloUserTable, MigrationTable, SessionsTable, StoredBoolean, StoredTimestamp } from "./user/table.js";
export {
  SessionAuth,
  createSessionAuth,
  getSessionUser,
  getCsrfToken,
  SessionStore,
  LoginRateLimiter,
  sessionAuthApp,
  generateSessionToken,
  digestSessionToken,
  LOGIN_FAILED_MESSAGE,
  CSRF_FAILED_MESSAGE,
  DEFAULT_LIMITS,
  DatabaseAttemptStore,
  MemoryAttemptStore,
  checkCurrentPassword,
  headAsGet,
  toNodeHandler,
  fastifySessionRoutes,
  fastifySessionHook,
  bodyLimit,
  BODY_TOO_LARGE_MESSAGE,
  accountLimitKey,
  rateLimitedAddress,
  tokenOrSessionGuard,
  parseBearerHeader,
  MFA_CODE_REQUIRED,
  MFA_FAILED,
  MFA_ENROLLMENT_REQUIRED,
  RedisConnection,
  RedisSessionStore,
  RedisAttemptStore,
  parseRedisUrl,
} from "./session/index.js";
export type {
  SessionAuthOptions,
  AccessOptions,
  CookieOptions,
  CsrfOptions,
  StoreOptions,
  Deny,
  NodeRequestListener,
  AccessRules,
  LoginResult,
  DenyReason,
  SessionVariables,
  SessionEnv,
  NodeMiddleware,
  NodeRequest,
  NodeResponse,
  SessionStoreOptions,
  NewSession,
  SessionInfo,
  LoginRateLimiterOptions,
  DeploymentOptions,
  AttemptStore,
  AttemptRule,
  DenyStatus,
  TakeResult,
  LimitedBucket,
  AttemptTicket,
  AttemptDecision,
  Deployment,
  CsrfProtection,
  Fetch,
  SessionTokenStorage,
  RequireMfa,
  SessionStorage,
  RedisClient,
  RedisSessionStoreOptions,
  RedisAttemptStoreOptions,
} from "./session/index.js";
export { createAdminApp, adminHistoryApp, SUPERUSER_ONLY_MESSAGE, LAST_SUPERUSER_MESSAGE } from "./admin/index.js";
export type { AdminOptions } from "./admin/index.js";
