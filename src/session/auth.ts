import type { Context, MiddlewareHandler } from "hono";
import { setCookie } from "hono/cookie";
import type { Hono } from "hono";
import type { Database } from "../engine/connect.js";
import { BaseUser } from "../user/base-user.js";
import type { User } from "../user/user-row.js";
import { sessionTokens } from "./cookies.js";
import { CsrfProtection } from "./csrf.js";
import { Deployment } from "./deployment.js";
import { authenticate, type LoginResult } from "./login.js";
import { loginRoutes } from "./login-routes.js";
import { nodeHandler, type NodeMiddleware } from "./node-adapter.js";
import { LoginRateLimiter } from "./rate-limit.js";
import {
  AUTH_REQUIRED_MESSAGE,
  CSRF_FAILED_MESSAGE,
  FORBIDDEN_MESSAGE,
  getSessionUser,
  UNKNOWN_HOST_MESSAGE,
  wantsJson,
} from "./request-state.js";
import { SessionStore } from "./store.js";
import type { AccessRules, DenyReason, DenyStatus, SessionAuthOptions } from "./options.js";

export type { AccessRules, DenyReason, DenyStatus, SessionAuthOptions } from "./options.js";
export type { LoginResult } from "./login.js";
export type { NodeMiddleware, NodeRequest, NodeResponse } from "./node-adapter.js";
export type { SessionEnv, SessionVariables } from "./request-state.js";
// Where these lived before the split (the admin imports them from here).
export { CSRF_FAILED_MESSAGE, getCsrfToken, getSessionUser, LOGIN_FAILED_MESSAGE, rateLimitedMessage, safeRedirect, wantsJson } from "./request-state.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
const STATE = Symbol("piccolo-session-state");

/**
 * Session authentication for any app that speaks web-standard Request/Response through Hono: mount
 * `routes()` for login and logout, `middleware()` everywhere (host check, sessions, CSRF protection), and
 * `guard()` in front of what needs a login. See the README for Express and Hono.
 */
export class SessionAuth {
  readonly userClass: typeof BaseUser;
  readonly store: SessionStore;
  readonly rateLimiter: LoginRateLimiter | null;
  readonly rules: Required<AccessRules>;
  readonly cookieName: string;
  readonly csrfCookieName: string;
  readonly csrfHeaderName: string;
  readonly csrfFieldName: string;
  readonly deployment: Deployment;
  readonly csrf: CsrfProtection;
  readonly options: SessionAuthOptions;

  constructor(options: SessionAuthOptions = {}) {
    this.options = options;
    this.userClass = options.userClass ?? BaseUser;
    const database: string | Database | undefined = options.database ?? this.userClass.database;
    this.store = options.store ?? new SessionStore({ ...options, database });
    this.rateLimiter =
      options.rateLimiter === false ? null : (options.rateLimiter ?? new LoginRateLimiter({ store: "database", database }));
    this.rules = {
      activeOnly: options.activeOnly ?? true,
      adminOnly: options.adminOnly ?? true,
      superuserOnly: options.superuserOnly ?? false,
    };
    this.cookieName = options.cookieName ?? "id";
    this.csrfCookieName = options.csrfCookieName ?? "csrftoken";
    this.csrfHeaderName = options.csrfHeaderName ?? "X-CSRFToken";
    this.csrfFieldName = options.csrfFieldName ?? "csrftoken";
    this.deployment = new Deployment(options);
    const trustedOrigins = (options.trustedOrigins ?? []).map((origin) => new URL(origin).origin);
    this.csrf = new CsrfProtection(
      { cookieName: this.csrfCookieName, headerName: this.csrfHeaderName, fieldName: this.csrfFieldName, trustedOrigins, cookiePath: (c) => this.cookiePath(c) },
      this.deployment,
    );
  }

  /** Whether a user passes access rules (the auth's own by default). */
  allows(user: User | null, rules: AccessRules = this.rules): user is User {
    if (!user) return false;
    if ((rules.activeOnly ?? this.rules.activeOnly) && !user.active) return false;
    if ((rules.adminOnly ?? this.rules.adminOnly) && !user.admin) return false;
    if ((rules.superuserOnly ?? this.rules.superuserOnly) && !user.superuser) return false;
    return true;
  }

  /**
   * Checks the host, resolves the session cookie into `c.get("sessionUser")`, gives every request a CSRF
   * token (`c.get("csrfToken")`), and refuses state-changing requests (anything but GET, HEAD, OPTIONS,
   * TRACE) whose token is missing or wrong, or whose `Origin` is another origin. Safe to apply more than once.
   */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const refused = await this.prepare(c);
      if (refused) return refused;
      await next();
    };
  }

  /**
   * Lets a request through only when its user is logged in and passes the rules (the auth's own rules
   * by default, which a guard may tighten). Not logged in: 401, or a redirect to `loginUrl` for a browser's
   * GET. Logged in without the needed flag: 403. Includes `middleware()`.
   */
  guard(rules: AccessRules = {}): MiddlewareHandler {
    return async (c, next) => {
      const refused = await this.prepare(c);
      if (refused) return refused;
      const user = getSessionUser(c);
      if (!user) return this.unauthenticated(c);
      if (!this.allows(user, rules)) return this.refuse(c, 403, FORBIDDEN_MESSAGE, "forbidden");
      await next();
    };
  }

  /** The auth's work for one request, done once; a Response when the request is refused. */
  async prepare(c: Context): Promise<Response | undefined> {
    const holder = c as unknown as { [STATE]?: { response?: Response } };
    const existing = holder[STATE];
    if (existing) return existing.response;
    const state: { response?: Response } = {};
    holder[STATE] = state;
    if (!this.deployment.hostAllowed(c)) {
      state.response = c.text(UNKNOWN_HOST_MESSAGE, 421);
      return state.response;
    }
    c.set("csrfToken", this.csrf.ensureToken(c));
    if (!SAFE_METHODS.has(c.req.method.toUpperCase()) && !(await this.csrf.passes(c))) {
      state.response = await this.refuse(c, 403, CSRF_FAILED_MESSAGE, "csrf");
      return state.response;
    }
    c.set("sessionUser", await this.resolveUser(c));
    return undefined;
  }

  /** The user of the request's session cookies (one query however many), when live and passing the rules. */
  async resolveUser(c: Context): Promise<User | null> {
    const session = await this.store.lookupFirst(sessionTokens(c, this.cookieName));
    if (!session) return null;
    const user = await this.userClass.getUser(session.userId);
    return this.allows(user) ? user : null;
  }

  /** Whether cookies get `Secure` on this request. */
  isSecure(c: Context): boolean {
    return this.deployment.isSecure(c);
  }

  cookiePath(c: Context): string {
    const path = this.options.cookiePath;
    return (typeof path === "function" ? path(c) : path) || "/";
  }

  /** The address the rate limit counts (see `trustProxy` and `clientAddress`). */
  clientAddress(c: Context): string {
    return this.deployment.clientAddress(c);
  }

  /** `middleware()` for Express-style apps: sets `req.sessionUser` and `req.csrfToken` (and `res.locals`). */
  nodeMiddleware(): NodeMiddleware {
    return nodeHandler(this, null);
  }

  /** `guard(rules)` for Express-style apps: 401 / redirect to `loginUrl`, 403, or on to the next handler. */
  nodeGuard(rules: AccessRules = {}): NodeMiddleware {
    return nodeHandler(this, rules);
  }

  /**
   * Checks a username and password under the rate limit and the access rules; on success ends the
   * browser's previous session, starts a new one and sets the cookies. Every refusal but the rate limit
   * and a busy server has the same message, whether the username exists, the password is wrong or the
   * account may not log in.
   */
  async login(c: Context, username: unknown, password: unknown): Promise<LoginResult> {
    const result = await authenticate(this, c, username, password);
    if (!result.ok) return result;
    await this.endSession(c);
    await this.startSession(c, result.user.id);
    c.set("sessionUser", result.user);
    return result;
  }

  /** Starts a session for a user id and sets the session cookie and a fresh CSRF token; returns the token. */
  async startSession(c: Context, userId: number): Promise<string> {
    const session = await this.store.create(userId);
    setCookie(c, this.cookieName, session.token, {
      path: this.cookiePath(c),
      httpOnly: true,
      sameSite: "Lax",
      secure: this.isSecure(c),
      maxAge: Math.floor(this.store.maxExpiry / 1000),
    });
    c.set("csrfToken", this.csrf.newToken(c));
    return session.token;
  }

  /** Ends the request's session server-side, clears the cookie and rotates the CSRF token. */
  async logout(c: Context): Promise<void> {
    await this.endSession(c);
    setCookie(c, this.cookieName, "", {
      path: this.cookiePath(c),
      httpOnly: true,
      sameSite: "Lax",
      secure: this.isSecure(c),
      maxAge: 0,
      expires: new Date(0),
    });
    c.set("csrfToken", this.csrf.newToken(c));
    c.set("sessionUser", null);
  }

  private async endSession(c: Context): Promise<void> {
    for (const token of sessionTokens(c, this.cookieName)) await this.store.remove(token);
  }

  async refuse(c: Context, status: DenyStatus, message: string, reason: DenyReason): Promise<Response> {
    if (this.options.deny) return this.options.deny(c, status, message, reason);
    return wantsJson(c) ? c.json({ error: message }, status) : c.text(message, status);
  }

  /** Not logged in: a redirect to `loginUrl` for a browser's GET, else 401. */
  unauthenticated(c: Context): Promise<Response> | Response {
    const loginUrl = this.loginUrl(c);
    const accept = c.req.header("accept") ?? "";
    if (loginUrl && c.req.method === "GET" && accept.includes("text/html")) {
      const url = new URL(c.req.url);
      return c.redirect(`${loginUrl}?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    return this.refuse(c, 401, AUTH_REQUIRED_MESSAGE, "unauthenticated");
  }

  loginUrl(c: Context): string | undefined {
    return typeof this.options.loginUrl === "function" ? this.options.loginUrl(c) : this.options.loginUrl;
  }

  /** `GET /login`, `POST /login` (form or JSON: `username`, `password`, optional `next`) and `POST /logout`. */
  routes(): Hono {
    return loginRoutes(this);
  }
}

/** Session authentication with piccolo_api's defaults (see `SessionAuthOptions`). */
export function createSessionAuth(options: SessionAuthOptions = {}): SessionAuth {
  return new SessionAuth(options);
}
