export { sessionAuthApp, SESSIONS_TABLE } from "./migrations/index.js";
export {
  SessionStore,
  generateSessionToken,
  digestSessionToken,
  type SessionStoreOptions,
  type NewSession,
  type SessionInfo,
} from "./store.js";
export { LoginRateLimiter, type LoginRateLimiterOptions } from "./rate-limit.js";
export {
  SessionAuth,
  createSessionAuth,
  getSessionUser,
  getCsrfToken,
  safeRedirect,
  LOGIN_FAILED_MESSAGE,
  CSRF_FAILED_MESSAGE,
  type SessionAuthOptions,
  type AccessRules,
  type LoginResult,
  type DenyReason,
  type SessionVariables,
  type SessionEnv,
  type NodeMiddleware,
  type NodeRequest,
  type NodeResponse,
} from "./auth.js";
