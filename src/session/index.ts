// `piccolo-ts/session`: logins, sessions, CSRF and the login rate limit for Hono, Node, Express and Fastify
// apps. A curated list of re-exports, one module per line: helpers the session layer uses inside stay out.
export { SessionAuth, createSessionAuth } from "./auth.js";
export type { SessionAuthOptions, AccessOptions, AccessRules, CookieOptions, CsrfOptions, Deny, DenyReason, DenyStatus, StoreOptions } from "./options.js";
export type { DeploymentOptions } from "./deployment.js";
export { checkCurrentPassword, type LoginResult } from "./login.js";
export { getSessionUser, getCsrfToken, LOGIN_FAILED_MESSAGE, CSRF_FAILED_MESSAGE, type SessionVariables, type SessionEnv } from "./request-state.js";
export type { NodeMiddleware, NodeRequest, NodeResponse } from "./node-adapter.js";
export { toNodeHandler, type NodeRequestListener } from "./node-handler.js";
export { fastifySessionRoutes, fastifySessionHook } from "./fastify-adapter.js";
export { bodyLimit, BODY_TOO_LARGE_MESSAGE } from "./body-limit.js";
export { tokenOrSessionGuard, parseBearerHeader } from "./bearer.js";
export { MFA_CODE_REQUIRED, MFA_FAILED, MFA_ENROLLMENT_REQUIRED, type RequireMfa } from "./mfa-step.js";
export { SessionStore, type SessionStoreOptions, type NewSession, type SessionInfo } from "./store.js";
export type { SessionStorage } from "./store-types.js";
export type { SessionTokenStorage } from "./shared-sessions.js";
export { LoginRateLimiter, DEFAULT_LIMITS, type LoginRateLimiterOptions, type AttemptTicket, type AttemptDecision } from "./rate-limit.js";
export type { AttemptStore, AttemptRule } from "./attempt-store.js";
export { DatabaseAttemptStore } from "./attempt-store-db.js";
export { rateLimitedAddress } from "./address-prefix.js";
export { accountLimitKey } from "./account-key.js";
export { RedisConnection, parseRedisUrl, type RedisClient } from "./redis-connection.js";
export { RedisSessionStore, type RedisSessionStoreOptions } from "./store-redis.js";
export { RedisAttemptStore, type RedisAttemptStoreOptions } from "./attempt-store-redis.js";
