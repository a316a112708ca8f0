export { sessionAuthApp, SESSIONS_TABLE, LOGIN_ATTEMPTS_TABLE } from "./migrations/index.js";
export {
  SessionStore,
  generateSessionToken,
  digestSessionToken,
  type SessionStoreOptions,
  type NewSession,
  type SessionInfo,
} from "./store.js";
export {
  LoginRateLimiter,
  DEFAULT_LIMITS,
  type LoginRateLimiterOptions,
  type AttemptTicket,
  type AttemptDecision,
} from "./rate-limit.js";
export { MemoryAttemptStore, type AttemptStore, type AttemptRule, type TakeResult, type LimitedBucket } from "./attempt-store.js";
export { DatabaseAttemptStore } from "./attempt-store-db.js";
export { SessionAuth, createSessionAuth } from "./auth.js";
export type {
  SessionAuthOptions,
  AccessOptions,
  AccessRules,
  CookieOptions,
  CsrfOptions,
  Deny,
  DenyReason,
  DenyStatus,
  StoreOptions,
} from "./options.js";
export type { DeploymentOptions, Deployment } from "./deployment.js";
export type { CsrfProtection } from "./csrf.js";
export type { Access } from "./access.js";
export type { SessionCookies } from "./cookies.js";
export { checkCurrentPassword, type LoginResult } from "./login.js";
export {
  getSessionUser,
  getCsrfToken,
  safeRedirect,
  rateLimitedMessage,
  LOGIN_FAILED_MESSAGE,
  CSRF_FAILED_MESSAGE,
  type SessionVariables,
  type SessionEnv,
} from "./request-state.js";
export { rateLimitedAddress } from "./address-prefix.js";
export { accountLimitKey } from "./account-key.js";
export { bodyLimit, readBodyWithin, DEFAULT_BODY_LIMIT, BODY_TOO_LARGE_MESSAGE } from "./body-limit.js";
export { headAsGet, type Fetch, type NodeMiddleware, type NodeRequest, type NodeResponse } from "./node-adapter.js";
export { toNodeHandler, type NodeRequestListener } from "./node-handler.js";
export { fastifySessionRoutes, fastifySessionHook } from "./fastify-adapter.js";
export { tokenOrSessionGuard, parseBearerHeader } from "./bearer.js";
export type { SessionTokenStorage } from "./shared-sessions.js";
export { MFA_CODE_REQUIRED, MFA_FAILED, MFA_ENROLLMENT_REQUIRED, type RequireMfa } from "./mfa-step.js";
export { RedisConnection, parseRedisUrl, type RedisClient } from "./redis-connection.js";
export { RedisSessionStore, type RedisSessionStoreOptions } from "./store-redis.js";
export { RedisAttemptStore, type RedisAttemptStoreOptions } from "./attempt-store-redis.js";
export type { SessionStorage } from "./store-types.js";
