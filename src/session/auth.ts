import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Hono, type Context, type MiddlewareHandler, type Next } from "hono";
import { setCookie } from "hono/cookie";
import type { Database } from "../engine/connect.js";
import { BaseUser } from "../user/base-user.js";
import type { User } from "../user/user-row.js";
import { html, type SafeHtml } from "./html.js";
import { LoginRateLimiter } from "./rate-limit.js";
import { SessionStore, type SessionStoreOptions } from "./store.js";

/** Who counts as logged in (login and the guard); piccolo_api's defaults are active-only and admin-only. */
export interface AccessRules {
  /** Only users with `active` (default true). */
  activeOnly?: boolean;
  /** Only users with `admin` (default true, as piccolo_api's session middleware). */
  adminOnly?: boolean;
  /** Only users with `superuser` (default false). */
  superuserOnly?: boolean;
}

export type DenyReason = "unauthenticated" | "forbidden" | "csrf" | "rate-limited" | "login-failed";

export interface SessionAuthOptions extends SessionStoreOptions, AccessRules {
  /** The user class (a `BaseUser` subclass) that checks passwords and loads users. Default `BaseUser`. */
  userClass?: typeof BaseUser;
  /** An existing store; otherwise one is made from the store options, on `database` or else `userClass.database`. */
  store?: SessionStore;
  /** Failed-login limits, or false to turn them off (default: 5 failures per 15 minutes per username and per address). */
  rateLimiter?: LoginRateLimiter | false;
  /** The session cookie's name (default `id`, as piccolo_api). */
  cookieName?: string;
  /** The cookies' path (default `/`), or a function of the request. */
  cookiePath?: string | ((c: Context) => string);
  /** `Secure` cookies: true, false, or "auto" (default): when the request came over HTTPS. */
  secure?: boolean | "auto";
  /** The CSRF cookie (readable by scripts, so `fetch` can copy it into the header). Default `csrftoken`. */
  csrfCookieName?: string;
  /** The request header carrying the CSRF token (default `X-CSRFToken`). */
  csrfHeaderName?: string;
  /** The form field carrying the CSRF token (default `csrftoken`). */
  csrfFieldName?: string;
  /** Other origins (`https://app.example.com`) allowed to send state-changing requests. */
  trustedOrigins?: readonly string[];
  /**
   * Behind a reverse proxy: take the client address from the last `X-Forwarded-For` entry, the scheme from
   * `X-Forwarded-Proto` and the host from `X-Forwarded-Host`. Only turn on when a proxy always sets them.
   */
  trustProxy?: boolean;
  /** The client address for rate limiting; default the socket's remote address under @hono/node-server. */
  clientAddress?: (c: Context) => string | undefined;
  /** Where the guard sends browsers that are not logged in (GET requests asking for HTML); unset → 401. */
  loginUrl?: string | ((c: Context) => string);
  /** Where a form login goes on success when it names no `next` (default `/`). */
  redirectTo?: string;
  /** Where a form logout goes (default: `loginUrl`, else `/`). */
  logoutRedirectTo?: string;
  /** Builds the response for a refusal (401, 403, 429); default plain text or JSON. */
  deny?: (c: Context, status: 401 | 403 | 429, message: string, reason: DenyReason) => Response | Promise<Response>;
}

export type LoginResult =
  | { ok: true; user: User }
  | { ok: false; status: 401 | 429; message: string; retryAfter?: number };

export const LOGIN_FAILED_MESSAGE = "Login failed: the username or password is wrong, or this account may not log in here.";
export const CSRF_FAILED_MESSAGE = "CSRF check failed: reload the page and try again.";
export const AUTH_REQUIRED_MESSAGE = "Please log in.";
export const FORBIDDEN_MESSAGE = "You do not have permission to do this.";

export function rateLimitedMessage(retryAfter: number): string {
  const minutes = Math.ceil(retryAfter / 60);
  return `Too many failed logins. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}

/** What the middleware leaves on the context (`c.get(...)`). */
export interface SessionVariables {
  /** The logged-in user (passing the auth's access rules), or null. */
  sessionUser: User | null;
  /** The CSRF token to put into forms (`csrftoken` field) or the `X-CSRFToken` header. */
  csrfToken: string;
}
export interface SessionEnv {
  Variables: SessionVariables;
}

/** The logged-in user on this request (after the session middleware ran), or null. */
export function getSessionUser(c: Context): User | null {
  return ((c as Context<SessionEnv>).get("sessionUser") as User | null | undefined) ?? null;
}

/** The CSRF token for forms on this request (after the session middleware ran). */
export function getCsrfToken(c: Context): string {
  return ((c as Context<SessionEnv>).get("csrfToken") as string | undefined) ?? "";
}

/** A Node request as Express and similar frameworks hand it on (`body` when a body parser ran). */
export type NodeRequest = IncomingMessage & {
  originalUrl?: string;
  body?: unknown;
  sessionUser?: User | null;
  csrfToken?: string;
};
export type NodeResponse = ServerResponse & { locals?: Record<string, unknown> };
/** Express/Connect-style middleware. */
export type NodeMiddleware = (req: NodeRequest, res: NodeResponse, next: (error?: unknown) => void) => void;

const PROBE = Symbol("piccolo-session-probe");
interface Probe {
  guard: AccessRules | null;
  body: unknown;
  user: User | null;
  csrfToken: string;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const STATE = Symbol("piccolo-session-state");

interface RequestState {
  response?: Response;
}

/** Every value of a cookie (a request can carry several with one name, from different paths). */
export function cookieValues(c: Context, name: string): string[] {
  const header = c.req.header("cookie");
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    values.push(value);
  }
  return values;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A path on this site (`/x`, not `//host` or `/\host`), else the fallback: no open redirects. */
export function safeRedirect(target: unknown, fallback: string): string {
  if (typeof target !== "string" || !target.startsWith("/") || target.startsWith("//") || target.startsWith("/\\")) {
    return fallback;
  }
  if (/[\u0000-\u001f\\]/.test(target)) return fallback;
  return target;
}

function wantsJson(c: Context): boolean {
  const type = c.req.header("content-type") ?? "";
  if (type.includes("application/json")) return true;
  const accept = c.req.header("accept") ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}

function isFormRequest(c: Context): boolean {
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  return type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data");
}

function firstHeaderValue(value: string | undefined): string | undefined {
  return value?.split(",")[0]?.trim() || undefined;
}

/**
 * Session authentication for any app that speaks web-standard Request/Response through Hono: mount
 * `routes()` for login and logout, `middleware()` everywhere (sessions and CSRF protection), and
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
  private readonly options: SessionAuthOptions;

  constructor(options: SessionAuthOptions = {}) {
    this.options = options;
    this.userClass = options.userClass ?? BaseUser;
    const database: string | Database | undefined = options.database ?? this.userClass.database;
    this.store = options.store ?? new SessionStore({ ...options, database });
    this.rateLimiter = options.rateLimiter === false ? null : (options.rateLimiter ?? new LoginRateLimiter());
    this.rules = {
      activeOnly: options.activeOnly ?? true,
      adminOnly: options.adminOnly ?? true,
      superuserOnly: options.superuserOnly ?? false,
    };
    this.cookieName = options.cookieName ?? "id";
    this.csrfCookieName = options.csrfCookieName ?? "csrftoken";
    this.csrfHeaderName = options.csrfHeaderName ?? "X-CSRFToken";
    this.csrfFieldName = options.csrfFieldName ?? "csrftoken";
  }

  /** Whether a user passes access rules (the auth's own by default). */
  allows(user: User | null, rules: AccessRules = this.rules): user is User {
    if (!user) return false;
    if ((rules.activeOnly ?? this.rules.activeOnly) && !user.active) return false;
    if ((rules.adminOnly ?? this.rules.adminOnly) && !user.admin) return false;
    if ((rules.superuserOnly ?? this.rules.superuserOnly) && !user.superuser) return false;
    return true;
  }

  // ----- request state -------------------------------------------------------------------------

  /**
   * Resolves the session cookie into `c.get("sessionUser")`, gives every request a CSRF token
   * (`c.get("csrfToken")`), and refuses state-changing requests (anything but GET, HEAD, OPTIONS) whose
   * token is missing or wrong, or whose `Origin` is another site. Safe to apply more than once.
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
    const holder = c as unknown as { [STATE]?: RequestState };
    const existing = holder[STATE];
    if (existing) return existing.response;
    const state: RequestState = {};
    holder[STATE] = state;
    const csrf = this.ensureCsrfToken(c);
    if (!SAFE_METHODS.has(c.req.method.toUpperCase()) && !(await this.csrfPasses(c, csrf))) {
      state.response = await this.refuse(c, 403, CSRF_FAILED_MESSAGE, "csrf");
      return state.response;
    }
    c.set("sessionUser", await this.resolveUser(c));
    return undefined;
  }

  /** The user of the request's session cookie, when the session is live and the user passes the auth's rules. */
  async resolveUser(c: Context): Promise<User | null> {
    for (const token of cookieValues(c, this.cookieName)) {
      if (!TOKEN_PATTERN.test(token)) continue;
      const userId = await this.store.resolve(token);
      if (userId === null) continue;
      const user = await this.userClass.getUser(userId);
      if (this.allows(user)) return user;
    }
    return null;
  }

  private ensureCsrfToken(c: Context): string {
    const existing = cookieValues(c, this.csrfCookieName).find((value) => TOKEN_PATTERN.test(value));
    const token = existing ?? this.newCsrfToken(c);
    c.set("csrfToken", token);
    return token;
  }

  private newCsrfToken(c: Context): string {
    const token = randomBytes(32).toString("base64url");
    setCookie(c, this.csrfCookieName, token, {
      path: this.cookiePath(c),
      sameSite: "Lax",
      secure: this.isSecure(c),
      httpOnly: false,
    });
    c.set("csrfToken", token);
    return token;
  }

  private async csrfPasses(c: Context, expected: string): Promise<boolean> {
    if (!this.originAllowed(c)) return false;
    let sent = c.req.header(this.csrfHeaderName);
    const parsed = (c.env as { [PROBE]?: Probe } | undefined)?.[PROBE]?.body;
    if (sent === undefined && typeof parsed === "object" && parsed !== null) {
      // Express and friends: the body parser already read the form.
      const field = (parsed as Record<string, unknown>)[this.csrfFieldName];
      if (typeof field === "string") sent = field;
    } else if (sent === undefined && isFormRequest(c)) {
      try {
        const body = await c.req.parseBody();
        const field = body[this.csrfFieldName];
        if (typeof field === "string") sent = field;
      } catch {
        return false;
      }
    }
    // A token the browser did not already hold as a cookie proves nothing.
    if (typeof sent !== "string" || !cookieValues(c, this.csrfCookieName).includes(expected)) return false;
    return sameText(sent, expected);
  }

  /** `Origin` (else `Referer`) must be this host or a trusted origin; `Sec-Fetch-Site: cross-site` is refused. */
  private originAllowed(c: Context): boolean {
    const host = this.requestHost(c);
    const check = (value: string): boolean => {
      if (value === "null") return false;
      try {
        const url = new URL(value);
        if (this.options.trustedOrigins?.includes(url.origin)) return true;
        return url.host.toLowerCase() === host.toLowerCase();
      } catch {
        return false;
      }
    };
    const origin = c.req.header("origin");
    if (origin !== undefined) return check(origin);
    if ((c.req.header("sec-fetch-site") ?? "").toLowerCase() === "cross-site") return false;
    const referer = c.req.header("referer");
    if (referer !== undefined && referer !== "") return check(referer);
    return true;
  }

  private requestHost(c: Context): string {
    if (this.options.trustProxy) {
      const forwarded = firstHeaderValue(c.req.header("x-forwarded-host"));
      if (forwarded) return forwarded;
    }
    return new URL(c.req.url).host;
  }

  /** Whether cookies get `Secure` on this request. */
  isSecure(c: Context): boolean {
    const secure = this.options.secure ?? "auto";
    if (secure !== "auto") return secure;
    if (new URL(c.req.url).protocol === "https:") return true;
    return this.options.trustProxy === true && firstHeaderValue(c.req.header("x-forwarded-proto")) === "https";
  }

  cookiePath(c: Context): string {
    const path = this.options.cookiePath;
    return (typeof path === "function" ? path(c) : path) || "/";
  }

  /** The address the rate limit counts: `clientAddress`, else the proxy's last hop (with `trustProxy`), else the socket. */
  clientAddress(c: Context): string {
    const custom = this.options.clientAddress?.(c);
    if (custom) return custom;
    if (this.options.trustProxy) {
      const last = c.req.header("x-forwarded-for")?.split(",").pop()?.trim();
      if (last) return last;
    }
    type NodeBindings = { incoming?: { socket?: { remoteAddress?: string } } };
    const env = c.env as (NodeBindings & { server?: NodeBindings }) | undefined;
    return env?.incoming?.socket?.remoteAddress ?? env?.server?.incoming?.socket?.remoteAddress ?? "unknown";
  }

  // ----- Node frameworks (Express, Connect, Fastify with middie, Polka) -------------------------

  private probeApp: Hono | undefined;

  /** Runs the middleware or a guard for a Node request, without reading its body. */
  private probe(): Hono {
    if (this.probeApp) return this.probeApp;
    const app = new Hono();
    app.all("*", async (c) => {
      const probe = (c.env as { [PROBE]: Probe })[PROBE];
      const refused = await this.prepare(c);
      if (refused) return refused;
      probe.user = getSessionUser(c);
      probe.csrfToken = getCsrfToken(c);
      if (probe.guard) {
        if (!probe.user) return this.unauthenticated(c);
        if (!this.allows(probe.user, probe.guard)) return this.refuse(c, 403, FORBIDDEN_MESSAGE, "forbidden");
      }
      return c.body(null, 204);
    });
    this.probeApp = app;
    return app;
  }

  private nodeHandler(guard: AccessRules | null): NodeMiddleware {
    return (req, res, next) => {
      const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
      const host = req.headers.host ?? "localhost";
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined) continue;
        for (const each of Array.isArray(value) ? value : [value]) headers.append(name, each);
      }
      const probe: Probe = { guard, body: req.body, user: null, csrfToken: "" };
      let request: Request;
      try {
        request = new Request(new URL(req.originalUrl ?? req.url ?? "/", `${encrypted ? "https" : "http"}://${host}`), {
          method: req.method ?? "GET",
          headers,
        });
      } catch (error) {
        next(error);
        return;
      }
      const run = async (): Promise<boolean> => {
        const response = await this.probe().fetch(request, { incoming: req, [PROBE]: probe });
        for (const cookie of response.headers.getSetCookie()) res.appendHeader("Set-Cookie", cookie);
        if (response.status === 204) {
          req.sessionUser = probe.user;
          req.csrfToken = probe.csrfToken;
          if (res.locals) Object.assign(res.locals, { sessionUser: probe.user, csrfToken: probe.csrfToken });
          return true;
        }
        response.headers.forEach((value, name) => {
          if (name !== "set-cookie") res.setHeader(name, value);
        });
        res.statusCode = response.status;
        res.end(await response.text());
        return false;
      };
      // `next` is called outside the promise chain's error handler, so it runs once.
      run().then((proceed) => proceed && next(), next);
    };
  }

  /**
   * `middleware()` for Express-style apps: sets `req.sessionUser` and `req.csrfToken` (and `res.locals`),
   * and refuses state-changing requests without the CSRF token (read from the `X-CSRFToken` header, or
   * from `req.body` when a body parser such as `express.urlencoded()` ran first).
   */
  nodeMiddleware(): NodeMiddleware {
    return this.nodeHandler(null);
  }

  /** `guard(rules)` for Express-style apps: 401 / redirect to `loginUrl`, 403, or on to the next handler. */
  nodeGuard(rules: AccessRules = {}): NodeMiddleware {
    return this.nodeHandler(rules);
  }

  // ----- logging in and out --------------------------------------------------------------------

  /**
   * Checks a username and password, the access rules and the rate limit; on success ends the browser's
   * previous session, starts a new one and sets the cookies. Every refusal but the rate limit has the same
   * message, whether the username exists, the password is wrong or the account may not log in.
   */
  async login(c: Context, username: unknown, password: unknown): Promise<LoginResult> {
    const name = typeof username === "string" ? username : "";
    const secret = typeof password === "string" ? password : "";
    const userKey = LoginRateLimiter.usernameKey(name);
    const keys = [userKey, LoginRateLimiter.addressKey(this.clientAddress(c))];
    const wait = this.rateLimiter?.retryAfter(keys) ?? null;
    if (wait !== null) return { ok: false, status: 429, message: rateLimitedMessage(wait), retryAfter: wait };

    const userId = await this.userClass.login(name, secret);
    // The same lookup happens for a wrong password as for a right one.
    const user = await this.userClass.getUser(userId ?? 0);
    if (userId === null || !this.allows(user)) {
      this.rateLimiter?.recordFailure(keys);
      return { ok: false, status: 401, message: LOGIN_FAILED_MESSAGE };
    }
    this.rateLimiter?.reset(userKey);
    await this.endSession(c);
    await this.startSession(c, user.id);
    c.set("sessionUser", user);
    return { ok: true, user };
  }

  /** Starts a session for a user id and sets the session cookie and a fresh CSRF token. */
  async startSession(c: Context, userId: number): Promise<void> {
    const session = await this.store.create(userId);
    setCookie(c, this.cookieName, session.token, {
      path: this.cookiePath(c),
      httpOnly: true,
      sameSite: "Lax",
      secure: this.isSecure(c),
      maxAge: Math.floor(this.store.maxExpiry / 1000),
    });
    this.newCsrfToken(c);
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
    this.newCsrfToken(c);
    c.set("sessionUser", null);
  }

  private async endSession(c: Context): Promise<void> {
    for (const token of cookieValues(c, this.cookieName)) await this.store.remove(token);
  }

  // ----- responses -----------------------------------------------------------------------------

  async refuse(c: Context, status: 401 | 403 | 429, message: string, reason: DenyReason): Promise<Response> {
    if (this.options.deny) return this.options.deny(c, status, message, reason);
    return wantsJson(c) ? c.json({ error: message }, status) : c.text(message, status);
  }

  private unauthenticated(c: Context): Promise<Response> | Response {
    const loginUrl = typeof this.options.loginUrl === "function" ? this.options.loginUrl(c) : this.options.loginUrl;
    const accept = c.req.header("accept") ?? "";
    if (loginUrl && c.req.method === "GET" && accept.includes("text/html")) {
      const url = new URL(c.req.url);
      return c.redirect(`${loginUrl}?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    return this.refuse(c, 401, AUTH_REQUIRED_MESSAGE, "unauthenticated");
  }

  /**
   * `GET /login` (a plain, accessible form), `POST /login` (form or JSON: `username`, `password`, optional
   * `next`) and `POST /logout`. JSON requests get JSON answers; forms get a redirect (303) or the form again.
   */
  routes(): Hono {
    const app = new Hono();
    app.use("*", this.middleware());
    app.get("/login", (c) => {
      const user = getSessionUser(c);
      return c.html(loginPage(c, this, { next: c.req.query("next"), user }).value);
    });
    app.post("/login", async (c) => {
      const json = (c.req.header("content-type") ?? "").includes("application/json");
      let body: Record<string, unknown>;
      try {
        body = json ? ((await c.req.json()) as Record<string, unknown>) : await c.req.parseBody();
      } catch {
        return json ? c.json({ error: "The request body is not valid." }, 400) : c.text("Bad request", 400);
      }
      if (typeof body !== "object" || body === null) body = {};
      const result = await this.login(c, body.username, body.password);
      if (result.ok) {
        if (wantsJson(c)) return c.json({ user: result.user, csrfToken: getCsrfToken(c) });
        return c.redirect(safeRedirect(body.next, this.options.redirectTo ?? "/"), 303);
      }
      if (result.retryAfter !== undefined) c.header("Retry-After", String(result.retryAfter));
      if (this.options.deny) {
        return this.options.deny(c, result.status, result.message, result.status === 429 ? "rate-limited" : "login-failed");
      }
      if (wantsJson(c)) return c.json({ error: result.message }, result.status);
      const page = loginPage(c, this, {
        next: typeof body.next === "string" ? body.next : undefined,
        error: result.message,
        username: typeof body.username === "string" ? body.username : "",
      });
      return c.html(page.value, result.status);
    });
    app.post("/logout", async (c) => {
      await this.logout(c);
      if (wantsJson(c)) return c.json({ ok: true });
      const loginUrl = typeof this.options.loginUrl === "function" ? this.options.loginUrl(c) : this.options.loginUrl;
      return c.redirect(safeRedirect(this.options.logoutRedirectTo ?? loginUrl, "/"), 303);
    });
    return app;
  }
}

/** Session authentication with piccolo_api's defaults (see `SessionAuthOptions`). */
export function createSessionAuth(options: SessionAuthOptions = {}): SessionAuth {
  return new SessionAuth(options);
}

function loginPage(
  c: Context,
  auth: SessionAuth,
  state: { next?: string | undefined; error?: string; username?: string; user?: User | null },
): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Log in</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}label,input,button{display:block;width:100%;box-sizing:border-box}input{margin:.25rem 0 1rem;padding:.5rem;font:inherit}button{padding:.6rem;font:inherit}[role=alert]{color:#a00000}:focus-visible{outline:3px solid #1a56db;outline-offset:2px}</style>
</head>
<body><main>
<h1>Log in</h1>
${state.user ? html`<p>You are logged in as ${state.user.username}.</p>` : ""}
${state.error ? html`<p role="alert">${state.error}</p>` : ""}
<form method="post">
<input type="hidden" name="${auth.csrfFieldName}" value="${getCsrfToken(c)}">
${state.next ? html`<input type="hidden" name="next" value="${state.next}">` : ""}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required value="${state.username ?? ""}" autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>
</main></body></html>`;
}
