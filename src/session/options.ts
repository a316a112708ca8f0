import type { Context } from "hono";
import type { BaseUser } from "../user/base-user.js";
import type { MfaAuthenticator } from "../user/mfa/authenticator.js";
import type { PasskeyOptions } from "./passkey-options.js";
import type { RequireMfa } from "./mfa-step.js";
import type { DeploymentOptions } from "./deployment.js";
import type { LoginRateLimiter } from "./rate-limit.js";
import type { RedisConnection } from "./redis-connection.js";
import type { SessionStorage, SessionStoreOptions } from "./store.js";

/** Who counts as logged in (login and the guard); piccolo_api's defaults are active-only and admin-only. */
export interface AccessRules {
  /** Only users with `active` (default true). */
  activeOnly?: boolean;
  /** Only users with `admin` (default true, as piccolo_api's session middleware). */
  adminOnly?: boolean;
  /** Only users with `superuser` (default false). */
  superuserOnly?: boolean;
}

/** Why a request was refused, as the `deny` option receives it. */
export type DenyReason = "unauthenticated" | "forbidden" | "csrf" | "rate-limited" | "login-failed" | "busy" | "too-large";
/** The status of a refusal, as the `deny` option receives it. */
export type DenyStatus = 401 | 403 | 413 | 429 | 503;

/** Options of `createSessionAuth`: the store's, the access rules, the deployment's, and the auth's own. */
export interface SessionAuthOptions extends SessionStoreOptions, AccessRules, DeploymentOptions {
  /** The user class (a `BaseUser` subclass) that checks passwords and loads users. Default `BaseUser`. */
  userClass?: typeof BaseUser;
  /** An existing store; otherwise one is made from the store options, on `database` or else `userClass.database`. */
  store?: SessionStorage;
  /**
   * Keep sessions and login attempts in Redis (`RedisSessionStore`, `RedisAttemptStore`) instead of the
   * database: a URL (`redis://host:6379`, `redis+cluster://host:7001,host:7002`) or a shared
   * `RedisConnection`. Users stay in the database, and every session lookup still checks its user row.
   */
  redis?: string | RedisConnection;
  /** Prefix of every Redis key (default `piccolo:`). */
  redisPrefix?: string;
  /** The login rate limit, or false to turn it off. Default: `DEFAULT_LIMITS`, counted in the database's `login_attempts`. */
  rateLimiter?: LoginRateLimiter | false;
  /** The session cookie's base name (default `id`, as piccolo_api). */
  cookieName?: string;
  /**
   * Over HTTPS, name the session cookie `__Host-<cookieName>` (at `/`) or `__Secure-<cookieName>` (under a
   * narrower `cookiePath`), so a sibling subdomain or a plain-HTTP page cannot plant one. Default true, or
   * false with `tokens: "piccolo"`; false keeps the plain name, for a Python piccolo_api app that must read
   * the same cookie.
   */
  cookiePrefix?: boolean;
  /** The cookies' path (default `/`), or a function of the request. */
  cookiePath?: string | ((c: Context) => string);
  /** The CSRF cookie (readable by scripts); `__Host-` is prefixed over HTTPS. Default `csrftoken`. */
  csrfCookieName?: string;
  /** The request header carrying the CSRF token (default `X-CSRFToken`). */
  csrfHeaderName?: string;
  /** The form field carrying the CSRF token (default `csrftoken`). */
  csrfFieldName?: string;
  /**
   * The most bytes of a request body the session layer reads (default 64 KiB): everything its routes
   * receive, and a form's body when `middleware()` looks for the CSRF field. Past it: 413 at once, chunked
   * bodies included. Forms that post more (uploads) send the token in the `X-CSRFToken` header instead:
   * the middleware then reads none of the body.
   */
  bodyLimit?: number;
  /** Other origins (`https://app.example.com`) allowed to send state-changing requests. */
  trustedOrigins?: readonly string[];
  /** Where the guard sends browsers that are not logged in (GET requests asking for HTML); unset → 401. */
  loginUrl?: string | ((c: Context) => string);
  /** Where a form login goes on success when it names no `next` (default `/`). */
  redirectTo?: string;
  /** Where a form logout goes (default: `loginUrl`, else `/`). */
  logoutRedirectTo?: string;
  /**
   * Two-factor authentication: enrolled users must send a code (`mfa_code`) after the password. Without
   * it, logins check the password only (even for users enrolled in Piccolo Admin).
   */
  mfa?: MfaAuthenticator;
  /** Who must enroll before getting a session: `"superusers"`, `"admins"` or `"all"` (default: nobody). Needs `mfa`. */
  requireMfa?: RequireMfa;
  /** Passkeys (WebAuthn): instead of the password, and as the second factor. Needs the `passkeys` migration app; see docs/passkeys.md. */
  passkeys?: PasskeyOptions;
  /** Builds the response for a refusal (401, 403, 413, 429, 503); default plain text or JSON. */
  deny?: (c: Context, status: DenyStatus, message: string, reason: DenyReason) => Response | Promise<Response>;
}
