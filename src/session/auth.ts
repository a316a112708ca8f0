import { Hono, type Context, type MiddlewareHandler } from "hono";
import { BaseUser } from "../user/base-user.js";
import type { MfaAuthenticator } from "../user/mfa/authenticator.js";
import type { User } from "../user/user-row.js";
import { Access, guard, type AccessRules, type DenyReason, type DenyStatus } from "./access.js";
import { DEFAULT_BODY_LIMIT } from "./body-limit.js";
import { SessionCookies } from "./cookies.js";
import { CsrfProtection, csrfCheck } from "./csrf.js";
import { Deployment } from "./deployment.js";
import { hostCheck } from "./host-check.js";
import { logIn } from "./login.js";
import { loginRoutes } from "./login-routes.js";
import type { LoginResult, RequireMfa } from "./login-types.js";
import { checkMfaOptions } from "./mfa-step.js";
import { nodeHandler, type NodeMiddleware } from "./node-adapter.js";
import type { SessionAuthOptions } from "./options.js";
import type { LoginRateLimiter } from "./rate-limit.js";
import { sessionPipeline, type Prepare } from "./request-pipeline.js";
import { sessionResolution } from "./session-resolution.js";
import { chooseStores } from "./store-choice.js";
import type { SessionStorage } from "./store-types.js";
import { lastSegmentPath, requestOf, type HeadersInput } from "./web-request.js";
import { ConfigError } from "../errors.js";

export type { AccessRules, DenyReason, DenyStatus, SessionAuthOptions } from "./options.js";

/**
 * Session authentication composed of small middlewares (host check, CSRF, session resolution, guards),
 * each settled once from its group of options. Its core is framework-neutral: `handler(request)` answers
 * the login and logout routes, `getSession(headers)` finds the user for any code. Hono apps mount
 * `routes()`, `middleware()` and `guard()`; Node, Express and Fastify apps use the adapters
 * (`toNodeHandler`, `nodeMiddleware()`, `nodeGuard()`, `fastifySessionAuth`). Sessions live in
 * piccolo_api's `sessions` table, so every process on the database shares them.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { createSessionAuth, getSessionUser } from "piccolo-ts/session";
 *
 * const auth = createSessionAuth({ access: { adminOnly: false, loginUrl: "/auth/login" } });
 * const app = new Hono();
 * app.use("*", auth.middleware());
 * app.route("/auth", auth.routes());
 * app.get("/private", auth.guard(), (c) => c.text(`Hello ${getSessionUser(c)!.username}`));
 * ```
 */
export class SessionAuth {
  /** The class that checks passwords and loads users (`options.userClass`, default `BaseUser`). */
  readonly userClass: typeof BaseUser;
  /** Where sessions are kept. */
  readonly store: SessionStorage;
  /** The login rate limit, or null when turned off (`rateLimit: false`). */
  readonly rateLimiter: LoginRateLimiter | null;
  /** Who may pass, where browsers are sent, how refusals look (the `access` options, settled). */
  readonly access: Access;
  /** The session cookie: its name on a request, its path, writing it (the `cookies` options). */
  readonly cookies: SessionCookies;
  /** The CSRF protection `middleware()` applies (the `csrf` options). */
  readonly csrf: CsrfProtection;
  /** What to believe about the client, scheme and host (the `deployment` options). */
  readonly deployment: Deployment;
  /** The most bytes of a request body the session layer reads (`bodyLimit`, default 64 KiB). */
  readonly bodyLimit: number;
  /** The two-factor authenticator, when logins ask for a second factor. */
  readonly mfa: MfaAuthenticator | undefined;
  /** Who must enroll in two-factor authentication before getting a session. */
  readonly requireMfa: RequireMfa | undefined;
  /** The work of `middleware()` for one request, done once: the refusal, or undefined (`(await auth.prepare(c)) ?? next()`). */
  readonly prepare: Prepare;
  private loginApp: Hono | undefined;
  private lookupApp: Hono | undefined;

  constructor(options: SessionAuthOptions = {}) {
    checkMfaOptions(options);
    this.mfa = options.mfa;
    this.requireMfa = options.requireMfa;
    this.userClass = options.userClass ?? BaseUser;
    ({ store: this.store, rateLimiter: this.rateLimiter } = chooseStores(options, options.database ?? this.userClass.database, this.userClass.tableName));
    this.bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
    if (!Number.isSafeInteger(this.bodyLimit) || this.bodyLimit < 0) throw new ConfigError("bodyLimit must be a whole number of bytes.");
    this.access = new Access(options.access);
    this.deployment = new Deployment(options.deployment ?? {});
    // Sessions shared with Python (`tokens: "piccolo"`) keep piccolo_api's plain `id` unless asked otherwise.
    const prefix = options.store?.tokens !== "piccolo";
    this.cookies = new SessionCookies(options.cookies ?? {}, this.deployment, { prefix, maxAgeSeconds: Math.floor(this.store.maxExpiry / 1000) });
    this.csrf = new CsrfProtection(options.csrf ?? {}, this.deployment, (c) => this.cookies.path(c));
    const refuse = (c: Context, status: DenyStatus, message: string, reason: DenyReason) => this.access.refuse(c, status, message, reason);
    this.prepare = sessionPipeline([
      hostCheck(this.deployment),
      csrfCheck(this.csrf, this.bodyLimit, refuse),
      sessionResolution((c) => this.resolveUser(c), refuse),
    ]);
  }

  /**
   * Whether a user passes access rules (the auth's own by default): for decisions inside a handler.
   *
   * @example
   * ```ts
   * app.get("/reports", auth.guard({ adminOnly: false }), (c) =>
   *   auth.allows(getSessionUser(c), { superuserOnly: true }) ? c.text("all reports") : c.text("your reports"));
   * ```
   */
  allows(user: User | null, rules?: AccessRules): user is User {
    return this.access.allows(user, rules);
  }

  /**
   * The host check, CSRF (a token for every request in `c.get("csrfToken")`, state-changing requests
   * refused without it) and the session's user in `c.get("sessionUser")`. Safe to apply more than once.
   */
  middleware(): MiddlewareHandler {
    return async (c, next) => (await this.prepare(c)) ?? next();
  }

  /**
   * `middleware()`, then lets a request through only when its user is logged in and passes the rules (the
   * auth's own, which a guard may tighten). Not logged in: 401, or a redirect to `loginUrl` for a
   * browser's GET. Logged in without the needed flag: 403.
   *
   * @example
   * ```ts
   * app.get("/staff", auth.guard({ adminOnly: true }), (c) => c.text("staff only"));
   * ```
   */
  guard(rules: AccessRules = {}): MiddlewareHandler {
    const check = guard(this.access, rules);
    return async (c, next) => (await this.prepare(c)) ?? check(c, next);
  }

  /** The user of the request's session cookies (one query however many), when live and passing the rules. */
  async resolveUser(c: Context): Promise<User | null> {
    const session = await this.store.lookupFirst(this.cookies.tokens(c));
    if (!session) return null;
    const user = await this.userClass.getUser(session.userId);
    return this.allows(user) ? user : null;
  }

  /**
   * The logged-in user of a request, from any framework or none: pass the `Request` (its URL tells
   * HTTP from HTTPS, hence the cookie's name) or just its headers (read as plain HTTP unless a trusted
   * proxy's `X-Forwarded-Proto` or `deployment.secure: true` says otherwise). Checks no CSRF token.
   *
   * `const user = await auth.getSession(request.headers); // User | null`
   */
  async getSession(input: Request | HeadersInput): Promise<User | null> {
    const found: { user: User | null; error?: unknown } = { user: null };
    this.lookupApp ??= new Hono().all("*", async (c) => {
      const slot = c.env as typeof found;
      try {
        slot.user = await this.resolveUser(c);
      } catch (error) {
        slot.error = error;
      }
      return c.body(null, 204);
    });
    await this.lookupApp.fetch(requestOf(input), found);
    if (found.error !== undefined) throw found.error;
    return found.user;
  }

  /**
   * The login and logout routes as a fetch handler: web-standard `Request` in, `Response` out, for any
   * framework (the adapters use it). It answers any path ending in `/login` (GET, POST) or `/logout`
   * (POST), wherever it is mounted; anything else is 404.
   *
   * `export const POST = (request: Request) => auth.handler(request); // a Next.js route handler`
   */
  handler(request: Request, bindings?: object): Promise<Response> {
    this.loginApp ??= loginRoutes(this, { getPath: lastSegmentPath });
    return Promise.resolve(this.loginApp.fetch(request, bindings));
  }

  /** `GET /login`, `POST /login` (form or JSON) and `POST /logout` as a Hono app: `app.route("/auth", auth.routes())`. */
  routes(): Hono {
    return loginRoutes(this);
  }

  /** `middleware()` for Express and other Connect-style apps: sets `req.sessionUser` and `req.csrfToken` (and `res.locals`). */
  nodeMiddleware(): NodeMiddleware {
    return nodeHandler(this, null);
  }

  /** `guard(rules)` for Express and other Connect-style apps: 401 / redirect to `loginUrl`, 403, or on to the next handler. */
  nodeGuard(rules: AccessRules = {}): NodeMiddleware {
    return nodeHandler(this, rules);
  }

  /**
   * Checks a username and password under the rate limit and the access rules; on success ends the
   * browser's previous session, starts a new one and sets the cookies. Every refusal but the rate limit
   * and a busy server has the same message. For a login form of your own (`routes()` has one).
   *
   * @example
   * ```ts
   * const form = await c.req.parseBody();
   * const result = await auth.login(c, form.username, form.password);
   * if (!result.ok) return c.text(result.message, result.status);
   * ```
   */
  login(c: Context, username: unknown, password: unknown, mfaCode?: unknown): Promise<LoginResult> {
    return logIn(this, c, username, password, mfaCode);
  }

  /** Starts a session for a user id and sets the session cookie and a fresh CSRF token; returns the token (for logins without a password). */
  async startSession(c: Context, userId: number): Promise<string> {
    const session = await this.store.create(userId);
    this.cookies.write(c, session.token);
    c.set("csrfToken", this.csrf.newToken(c));
    return session.token;
  }

  /** Ends the request's session server-side, clears the cookie and rotates the CSRF token. */
  async logout(c: Context): Promise<void> {
    await this.endSession(c);
    this.cookies.write(c, null);
    c.set("csrfToken", this.csrf.newToken(c));
    c.set("sessionUser", null);
  }

  /** Ends the sessions of the request's cookies, server-side only (a login replaces them; `logout` also clears the cookie). */
  async endSession(c: Context): Promise<void> {
    for (const token of this.cookies.tokens(c)) await this.store.remove(token);
  }

  /** The response for a refusal (the `access.deny` option's, else plain text or JSON), to refuse as the guard does. */
  refuse(c: Context, status: DenyStatus, message: string, reason: DenyReason): Promise<Response> {
    return this.access.refuse(c, status, message, reason);
  }

  /** The address the rate limit counts: the client behind any trusted proxies (`deployment.trustProxy`, `clientAddress`). */
  clientAddress(c: Context): string {
    return this.deployment.clientAddress(c);
  }
}

/**
 * Session authentication with piccolo_api's defaults (see `SessionAuthOptions`): only active admin
 * users log in unless `access.adminOnly: false`, a rate limit counted in the database, CSRF protection.
 *
 * @example
 * ```ts
 * const auth = createSessionAuth({ userClass: AppUser, access: { adminOnly: false, loginUrl: "/auth/login", redirectTo: "/private" } });
 * ```
 */
export function createSessionAuth(options: SessionAuthOptions = {}): SessionAuth {
  return new SessionAuth(options);
}
