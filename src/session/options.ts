// The options of `createSessionAuth`, one group per concern. Each group is settled once, by the piece
// that uses it (cookies.ts, csrf.ts, deployment.ts, access.ts, store-choice.ts), so no piece sees the rest.
import type { Database } from "../engine/connect.js";
import type { BaseUser } from "../user/base-user.js";
import type { MfaAuthenticator } from "../user/mfa/authenticator.js";
import type { AccessOptions } from "./access.js";
import type { CookieOptions } from "./cookies.js";
import type { CsrfOptions } from "./csrf.js";
import type { DeploymentOptions } from "./deployment.js";
import type { RequireMfa } from "./login-types.js";
import type { LoginRateLimiter } from "./rate-limit.js";
import type { RedisConnection } from "./redis-connection.js";
import type { SessionStorage, SessionStoreOptions } from "./store-types.js";

export type { AccessOptions, AccessRules, Deny, DenyReason, DenyStatus } from "./access.js";
export type { CookieOptions } from "./cookies.js";
export type { CsrfOptions } from "./csrf.js";
export type { DeploymentOptions } from "./deployment.js";

/** `store`: where sessions live and how long (the durations and token mode of `SessionStoreOptions`). */
export interface StoreOptions extends Omit<SessionStoreOptions, "database" | "userTable"> {
  /** An existing store (`SessionStore`, `RedisSessionStore`); the other store options are then its own. */
  sessions?: SessionStorage;
  /**
   * Keep sessions and login attempts in Redis (`RedisSessionStore`, `RedisAttemptStore`) instead of the
   * database: a URL (`redis://host:6379`, `redis+cluster://host:7001,host:7002`) or a shared
   * `RedisConnection`. Users stay in the database, and every session lookup still checks its user row.
   */
  redis?: string | RedisConnection;
  /** Prefix of every Redis key (default `piccolo:`). */
  redisPrefix?: string;
}

/** Options of `createSessionAuth`, grouped by concern; every group and option is optional. */
export interface SessionAuthOptions {
  /** The user class (a `BaseUser` subclass) that checks passwords and loads users. Default `BaseUser`. */
  userClass?: typeof BaseUser;
  /** The database of sessions and login attempts (default `userClass.database`). */
  database?: string | Database;
  /** Where sessions live and how long they last. */
  store?: StoreOptions;
  /** The session cookie's name, prefix and path. */
  cookies?: CookieOptions;
  /** The CSRF token's names and trusted origins. */
  csrf?: CsrfOptions;
  /** What to believe about the client, scheme and host: proxies, `Secure` cookies, allowed hosts. */
  deployment?: DeploymentOptions;
  /** The login rate limit, or false to turn it off. Default: `DEFAULT_LIMITS`, counted where sessions are. */
  rateLimit?: LoginRateLimiter | false;
  /** Who may log in, where browsers are sent, how refusals look. */
  access?: AccessOptions;
  /**
   * The most bytes of a request body the session layer reads (default 64 KiB): everything its routes
   * receive, and a form's body when `middleware()` looks for the CSRF field. Past it: 413 at once, chunked
   * bodies included. Forms that post more (uploads) send the token in the `X-CSRFToken` header instead:
   * the middleware then reads none of the body.
   */
  bodyLimit?: number;
  /**
   * Two-factor authentication: enrolled users must send a code (`mfa_code`) after the password. Without
   * it, logins check the password only (even for users enrolled in Piccolo Admin).
   */
  mfa?: MfaAuthenticator;
  /** Who must enroll before getting a session: `"superusers"`, `"admins"` or `"all"` (default: nobody). Needs `mfa`. */
  requireMfa?: RequireMfa;
}
