// Who may pass (the access rules), where a browser that may not is sent, and how a refusal looks; the
// guard middleware is built on it. Settled once from the `access` options.
import type { Context, MiddlewareHandler } from "hono";
import type { User } from "../user/user-row.js";
import { AUTH_REQUIRED_MESSAGE, FORBIDDEN_MESSAGE, getSessionUser, wantsJson } from "./request-state.js";

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
/** Builds the response for a refusal. */
export type Deny = (c: Context, status: DenyStatus, message: string, reason: DenyReason) => Response | Promise<Response>;

/** `access`: who may log in, where browsers are sent, and how refusals look. */
export interface AccessOptions extends AccessRules {
  /** Where the guard sends browsers that are not logged in (GET requests asking for HTML); unset → 401. */
  loginUrl?: string | ((c: Context) => string);
  /** Where a form login goes on success when it names no `next` (default `/`). */
  redirectTo?: string;
  /** Where a form logout goes (default: `loginUrl`, else `/`). */
  logoutRedirectTo?: string;
  /** Builds the response for a refusal (401, 403, 413, 429, 503); default plain text or JSON. */
  deny?: Deny;
}

/** The access options, settled: the rules with their defaults, the redirects, the refusal builder. */
export class Access {
  /** Who counts as logged in, with the defaults filled in. */
  readonly rules: Required<AccessRules>;
  /** Where a form login goes when it names no `next`. */
  readonly redirectTo: string;
  /** The `deny` option: the response of every refusal, when the app builds its own. */
  readonly deny: Deny | undefined;

  constructor(private readonly options: AccessOptions = {}) {
    this.rules = {
      activeOnly: options.activeOnly ?? true,
      adminOnly: options.adminOnly ?? true,
      superuserOnly: options.superuserOnly ?? false,
    };
    this.redirectTo = options.redirectTo ?? "/";
    this.deny = options.deny;
  }

  /** Whether a user passes `rules` (each unset rule is the auth's own). */
  allows(user: User | null, rules: AccessRules = this.rules): user is User {
    if (!user) return false;
    if ((rules.activeOnly ?? this.rules.activeOnly) && !user.active) return false;
    if ((rules.adminOnly ?? this.rules.adminOnly) && !user.admin) return false;
    if ((rules.superuserOnly ?? this.rules.superuserOnly) && !user.superuser) return false;
    return true;
  }

  /** Where browsers that are not logged in are sent on this request (`loginUrl`), or undefined. */
  loginUrl(c: Context): string | undefined {
    return typeof this.options.loginUrl === "function" ? this.options.loginUrl(c) : this.options.loginUrl;
  }

  /** Where a form logout goes: `logoutRedirectTo`, else `loginUrl`, else undefined. */
  logoutRedirect(c: Context): string | undefined {
    return this.options.logoutRedirectTo ?? this.loginUrl(c);
  }

  /** The response for a refusal: the `deny` option's, else the message as plain text or JSON. */
  async refuse(c: Context, status: DenyStatus, message: string, reason: DenyReason): Promise<Response> {
    if (this.deny) return this.deny(c, status, message, reason);
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

  /** The guard's answer for the request's user: a refusal, or undefined when it may pass. */
  check(c: Context, rules: AccessRules): Promise<Response> | Response | undefined {
    const user = getSessionUser(c);
    if (!user) return this.unauthenticated(c);
    if (!this.allows(user, rules)) return this.refuse(c, 403, FORBIDDEN_MESSAGE, "forbidden");
    return undefined;
  }
}

/**
 * Middleware: lets a request on only when the session middleware found a user who passes `rules`. Not
 * logged in: 401, or a redirect to `loginUrl` for a browser's GET; logged in without the flag: 403.
 */
export function guard(access: Access, rules: AccessRules = {}): MiddlewareHandler {
  return async (c, next) => (await access.check(c, rules)) ?? next();
}
