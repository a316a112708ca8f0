import type { Context, Hono, MiddlewareHandler } from "hono";
import type { Database } from "../engine/connect.js";
import { BaseUser } from "../user/base-user.js";
import type { User } from "../user/user-row.js";
import { DEFAULT_BODY_LIMIT } from "./body-limit.js";
import { prefixedCookieName, sessionTokens, writeSessionCookie } from "./cookies.js";
import { CsrfProtection } from "./csrf.js";
import { Deployment } from "./deployment.js";
import { logIn, type LoginResult } from "./login.js";
import { checkMfaOptions } from "./mfa-step.js";
import { loginRoutes } from "./login-routes.js";
import { nodeHandler, type NodeMiddleware } from "./node-adapter.js";
import type { LoginRateLimiter } from "./rate-limit.js";
import { prepareRequest } from "./request-pipeline.js";
import { AUTH_REQUIRED_MESSAGE, FORBIDDEN_MESSAGE, getSessionUser, wantsJson } from "./request-state.js";
import { chooseStores } from "./store-choice.js";
import type { SessionStorage } from "./store-types.js";
import type { AccessRules, DenyReason, DenyStatus, SessionAuthOptions } from "./options.js";
import { ConfigError } from "../errors.js";

export type { AccessRules, DenyReason, DenyStatus, SessionAuthOptions } from "./options.js";

/**
 * Session authentication for any app that speaks web-standard Request/Response through Hono: mount
 * `routes()` for login and logout, `middleware()` everywhere (host check, sessions, CSRF protection), and
 * `guard()` in front of what needs a login. Express apps use `nodeMiddleware()` and `nodeGuard()`.
 * Sessions live in piccolo_api's `sessions` table, so every process on the database shares them.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { createSessionAuth, getSessionUser } from "piccolo-ts/session";
 *
 * const auth = createSessionAuth({ adminOnly: false, loginUrl: "/auth/login" });
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
  /** The login rate limit, or null when turned off (`rateLimiter: false`). */
  readonly rateLimiter: LoginRateLimiter | null;
  /** Who counts as logged in, with the defaults filled in. */
  readonly rules: Required<AccessRules>;
  /** The session cookie's base name (default `id`); over HTTPS it is prefixed, see `sessionCookieName`. */
  readonly cookieName: string;
  /** The CSRF cookie's name (default `csrftoken`; `__Host-` is prefixed over HTTPS). */
  readonly csrfCookieName: string;
  /** The request header scripts send the CSRF token in (default `X-CSRFToken`). */
  readonly csrfHeaderName: string;
  /** The form field forms send the CSRF token in (default `csrftoken`). */
  readonly csrfFieldName: string;
  /** The most bytes of a request body the session layer reads (`bodyLimit`, default 64 KiB). */
  readonly bodyLimit: number;
  /** What to believe about the client, scheme and host (from the deployment options). */
  readonly deployment: Deployment;
  /** The CSRF protection `middleware()` applies. */
  readonly csrf: CsrfProtection;
  /** The options this auth was made with. */
  readonly options: SessionAuthOptions;

  constructor(options: SessionAuthOptions = {}) {
    this.options = options;
    checkMfaOptions(options);
    this.userClass = options.userClass ?? BaseUser;
    const database: string | Database | undefined = options.database ?? this.userClass.database;
    ({ store: this.store, rateLimiter: this.rateLimiter } = chooseStores(options, database, this.userClass.tableName));
    this.rules = {
      activeOnly: options.activeOnly ?? true,
      adminOnly: options.adminOnly ?? true,
      superuserOnly: options.superuserOnly ?? false,
    };
    this.cookieName = options.cookieName ?? "id";
    this.csrfCookieName = options.csrfCookieName ?? "csrftoken";
    this.csrfHeaderName = options.csrfHeaderName ?? "X-CSRFToken";
    this.csrfFieldName = options.csrfFieldName ?? "csrftoken";
    this.bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
    if (!Number.isSafeInteger(this.bodyLimit) || this.bodyLimit < 0) throw new ConfigError("bodyLimit must be a whole number of bytes.");
    this.deployment = new Deployment(options);
    const trustedOrigins = (options.trustedOrigins ?? []).map(trustedOrigin);
    this.csrf = new CsrfProtection(
      { cookieName: this.csrfCookieName, headerName: this.csrfHeaderName, fieldName: this.csrfFieldName, trustedOrigins, cookiePath: (c) => this.cookiePath(c) },
      this.deployment,
    );
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
   *
   * @example
   * ```ts
   * app.use("*", auth.middleware());
   * app.get("/", (c) => c.text(getSessionUser(c) ? "welcome back" : "hello, stranger"));
   * ```
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
   *
   * @example
   * ```ts
   * app.get("/account", auth.guard(), (c) => c.json(getSessionUser(c)));
   * app.get("/staff", auth.guard({ adminOnly: true }), (c) => c.text("staff only"));
   * ```
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

  /**
   * The auth's work for one request, done once (what `middleware()` runs); a Response when the request is
   * refused. For handlers of your own that cannot take a middleware.
   *
   * @example
   * ```ts
   * app.post("/api/thing", async (c) => (await auth.prepare(c)) ?? c.json({ user: getSessionUser(c) }));
   * ```
   */
  async prepare(c: Context): Promise<Response | undefined> {
    return prepareRequest(this, c);
  }


  /**
   * The user of the request's session cookies (one query however many), when live and passing the rules.
   * `middleware()` already puts it in `c.get("sessionUser")`; this asks again.
   *
   * @example
   * ```ts
   * const user = await auth.resolveUser(c); // User | null
   * ```
   */
  async resolveUser(c: Context): Promise<User | null> {
    const session = await this.store.lookupFirst(sessionTokens(c, this.sessionCookieName(c)));
    if (!session) return null;
    const user = await this.userClass.getUser(session.userId);
    return this.allows(user) ? user : null;
  }

  /**
   * Whether cookies get `Secure` on this request (as `secure` and `trustProxy` say): for cookies of your own.
   *
   * @example
   * ```ts
   * setCookie(c, "theme", "dark", { secure: auth.isSecure(c), sameSite: "Lax" });
   * ```
   */
  isSecure(c: Context): boolean {
    return this.deployment.isSecure(c);
  }

  /**
   * The path the session cookies are set for on this request (`cookiePath`, default `/`).
   *
   * @example
   * ```ts
   * auth.cookiePath(c); // "/" unless options.cookiePath says otherwise
   * ```
   */
  cookiePath(c: Context): string {
    const path = this.options.cookiePath;
    return (typeof path === "function" ? path(c) : path) || "/";
  }

  /**
   * The address the rate limit counts (see `trustProxy` and `clientAddress`): the client behind any trusted
   * proxies. Use it to log or limit by client yourself.
   *
   * @example
   * ```ts
   * console.log(`login from ${auth.clientAddress(c)}`);
   * ```
   */
  clientAddress(c: Context): string {
    return this.deployment.clientAddress(c);
  }

  /**
   * `middleware()` for Express-style apps: sets `req.sessionUser` and `req.csrfToken` (and `res.locals`).
   * Mount it after the body parsers.
   *
   * @example
   * ```ts
   * const app = express();
   * app.use(express.urlencoded({ extended: false }), express.json());
   * app.use(auth.nodeMiddleware());
   * app.get("/", (req, res) => {
   *   const user = (req as NodeRequest).sessionUser; // typed; res.locals.sessionUser holds it too
   *   res.send(user ? `Hi ${user.username}` : "Hi");
   * });
   * ```
   */
  nodeMiddleware(): NodeMiddleware {
    return nodeHandler(this, null);
  }

  /**
   * `guard(rules)` for Express-style apps: 401 / redirect to `loginUrl`, 403, or on to the next handler.
   *
   * @example
   * ```ts
   * const app = express();
   * app.get("/private", auth.nodeGuard(), (req, res) => res.send(`Hello ${(req as NodeRequest).sessionUser!.username}`));
   * app.get("/staff", auth.nodeGuard({ adminOnly: true }), (req, res) => res.send("staff"));
   * ```
   */
  nodeGuard(rules: AccessRules = {}): NodeMiddleware {
    return nodeHandler(this, rules);
  }

  /**
   * Checks a username and password under the rate limit and the access rules; on success ends the
   * browser's previous session, starts a new one and sets the cookies. Every refusal but the rate limit
   * and a busy server has the same message, whether the username exists, the password is wrong or the
   * account may not log in. For a login form of your own (`routes()` has one).
   *
   * @example
   * ```ts
   * app.post("/signin", async (c) => {
   *   const form = await c.req.parseBody();
   *   const result = await auth.login(c, form.username, form.password);
   *   if (!result.ok) return c.text(result.message, result.status);
   *   return c.redirect("/");
   * });
   * ```
   */
  login(c: Context, username: unknown, password: unknown, mfaCode?: unknown): Promise<LoginResult> {
    return logIn(this, c, username, password, mfaCode);
  }

  /**
   * Starts a session for a user id and sets the session cookie and a fresh CSRF token; returns the token.
   * For logins that do not use a password (e.g. right after sign-up, or after single sign-on).
   *
   * @example
   * ```ts
   * const user = await BaseUser.createUser({ username: "erin", password: "erin-s3cret", active: true });
   * await auth.startSession(c, user.id);
   * ```
   */
  async startSession(c: Context, userId: number): Promise<string> {
    const session = await this.store.create(userId);
    writeSessionCookie(c, this.sessionCookieName(c), session.token, this.sessionCookieOptions(c));
    c.set("csrfToken", this.csrf.newToken(c));
    return session.token;
  }

  /**
   * Ends the request's session server-side, clears the cookie and rotates the CSRF token.
   *
   * @example
   * ```ts
   * app.post("/signout", async (c) => {
   *   await auth.logout(c);
   *   return c.redirect("/");
   * });
   * ```
   */
  async logout(c: Context): Promise<void> {
    await this.endSession(c);
    writeSessionCookie(c, this.sessionCookieName(c), null, this.sessionCookieOptions(c));
    c.set("csrfToken", this.csrf.newToken(c));
    c.set("sessionUser", null);
  }

  /** The session cookie's name on this request: `__Host-id` over HTTPS at `/`, `__Secure-id` under a narrower path, else `id` (see `cookiePrefix`). */
  sessionCookieName(c: Context): string {
    // Sessions shared with Python (`tokens: "piccolo"`) keep piccolo_api's plain `id` unless asked otherwise.
    const prefixed = this.options.cookiePrefix ?? this.options.tokens !== "piccolo";
    return prefixedCookieName(this.cookieName, this.isSecure(c) && prefixed, this.cookiePath(c));
  }

  private sessionCookieOptions(c: Context) {
    return { path: this.cookiePath(c), secure: this.isSecure(c), maxAgeSeconds: Math.floor(this.store.maxExpiry / 1000) };
  }

  /** Ends the sessions of the request's cookies, server-side only (a login replaces them; `logout` also clears the cookie). */
  async endSession(c: Context): Promise<void> {
    for (const token of sessionTokens(c, this.sessionCookieName(c))) await this.store.remove(token);
  }

  /**
   * The response for a refusal: the `deny` option's, else the message as plain text or JSON. Use it to
   * refuse in your own handlers the way the guard does.
   *
   * @example
   * ```ts
   * if (!getSessionUser(c)?.superuser) return auth.refuse(c, 403, "Superusers only.", "forbidden");
   * ```
   */
  async refuse(c: Context, status: DenyStatus, message: string, reason: DenyReason): Promise<Response> {
    if (this.options.deny) return this.options.deny(c, status, message, reason);
    return wantsJson(c) ? c.json({ error: message }, status) : c.text(message, status);
  }

  /**
   * Not logged in: a redirect to `loginUrl` for a browser's GET, else 401.
   *
   * @example
   * ```ts
   * if (!getSessionUser(c)) return auth.unauthenticated(c);
   * ```
   */
  unauthenticated(c: Context): Promise<Response> | Response {
    const loginUrl = this.loginUrl(c);
    const accept = c.req.header("accept") ?? "";
    if (loginUrl && c.req.method === "GET" && accept.includes("text/html")) {
      const url = new URL(c.req.url);
      return c.redirect(`${loginUrl}?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    return this.refuse(c, 401, AUTH_REQUIRED_MESSAGE, "unauthenticated");
  }

  /**
   * Where browsers that are not logged in are sent on this request (`loginUrl`), or undefined.
   *
   * @example
   * ```ts
   * const href = auth.loginUrl(c) ?? "/login";
   * ```
   */
  loginUrl(c: Context): string | undefined {
    return typeof this.options.loginUrl === "function" ? this.options.loginUrl(c) : this.options.loginUrl;
  }

  /**
   * `GET /login`, `POST /login` (form or JSON: `username`, `password`, optional `next`) and `POST /logout`,
   * as a Hono app to mount where you like.
   *
   * @example
   * ```ts
   * app.route("/auth", auth.routes());                             // Hono
   * expressApp.use("/auth", getRequestListener(auth.routes().fetch)); // Express, before body parsers
   * ```
   */
  routes(): Hono {
    return loginRoutes(this);
  }
}

/**
 * Session authentication with piccolo_api's defaults (see `SessionAuthOptions`): only active admin
 * users log in unless `adminOnly: false`, a rate limit counted in the database, CSRF protection.
 *
 * @example
 * ```ts
 * const auth = createSessionAuth({ userClass: AppUser, adminOnly: false, loginUrl: "/auth/login", redirectTo: "/private" });
 * ```
 */
export function createSessionAuth(options: SessionAuthOptions = {}): SessionAuth {
  return new SessionAuth(options);
}

/** A `trustedOrigins` entry as an origin; a malformed one is a ConfigError at start-up, not a TypeError. */
function trustedOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch (error) {
    throw new ConfigError(`trustedOrigins: ${JSON.stringify(origin)} is not an origin such as https://shop.example.com.`, { cause: error });
  }
}
