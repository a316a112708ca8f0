import { randomBytes } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { setCookie } from "hono/cookie";
import type { DenyReason } from "./access.js";
import { BODY_TOO_LARGE_MESSAGE, readBodyWithin } from "./body-limit.js";
import { cookieValues, sameText, TOKEN_PATTERN } from "./cookies.js";
import type { Deployment } from "./deployment.js";
import { parsedBody } from "./parsed-body.js";
import { CSRF_FAILED_MESSAGE, isFormRequest } from "./request-state.js";
import { ConfigError } from "../errors.js";

/** `csrf`: the double-submit token's names and the other origins allowed to post. */
export interface CsrfOptions {
  /** The CSRF cookie (readable by scripts); `__Host-` is prefixed over HTTPS. Default `csrftoken`. */
  cookieName?: string;
  /** The request header carrying the CSRF token (default `X-CSRFToken`). */
  headerName?: string;
  /** The form field carrying the CSRF token (default `csrftoken`). */
  fieldName?: string;
  /** Other origins (`https://app.example.com`) allowed to send state-changing requests. */
  trustedOrigins?: readonly string[];
}


/**
 * Double-submit CSRF protection plus an origin check. Over HTTPS the cookie is `__Host-csrftoken`
 * (Secure, Path=/, no Domain), which a sibling subdomain or a plain-HTTP page cannot set. When a
 * request carries several CSRF cookies of the name in use (one planted for another path, say), the
 * token is ambiguous, and state-changing requests are refused rather than trusting the first.
 */
export class CsrfProtection {
  /** The form field forms send the token in. */
  readonly fieldName: string;
  /** The request header scripts send the token in. */
  readonly headerName: string;
  private readonly baseCookieName: string;
  private readonly trustedOrigins: readonly string[];

  constructor(
    options: CsrfOptions,
    private readonly deployment: Pick<Deployment, "isSecure" | "origin">,
    private readonly cookiePath: (c: Context) => string,
  ) {
    this.baseCookieName = options.cookieName ?? "csrftoken";
    this.headerName = options.headerName ?? "X-CSRFToken";
    this.fieldName = options.fieldName ?? "csrftoken";
    this.trustedOrigins = (options.trustedOrigins ?? []).map(trustedOrigin);
  }

  /** The cookie name in use on this request. */
  cookieName(c: Context): string {
    return this.deployment.isSecure(c) ? `__Host-${this.baseCookieName}` : this.baseCookieName;
  }

  /** The request's token, or a new one set as a cookie. With several cookies of the name, a new one. */
  ensureToken(c: Context): string {
    const values = cookieValues(c, this.cookieName(c));
    if (values.length === 1 && TOKEN_PATTERN.test(values[0]!)) return values[0]!;
    return this.newToken(c);
  }

  /** Makes a fresh CSRF token and sets its cookie on the response. */
  newToken(c: Context): string {
    const token = randomBytes(32).toString("base64url");
    const secure = this.deployment.isSecure(c);
    setCookie(c, this.cookieName(c), token, {
      // __Host- requires Path=/ and Secure.
      path: secure ? "/" : this.cookiePath(c),
      sameSite: "Lax",
      secure,
      httpOnly: false,
    });
    return token;
  }

  /** Whether a state-changing request may proceed. */
  async passes(c: Context): Promise<boolean> {
    if (!this.originAllowed(c)) return false;
    const held = cookieValues(c, this.cookieName(c));
    // No cookie proves nothing; several make the token ambiguous.
    if (held.length !== 1 || !TOKEN_PATTERN.test(held[0]!)) return false;
    const token = await this.sentToken(c);
    return typeof token === "string" && sameText(token, held[0]!);
  }

  /** Whether checking this request means reading its body: a form that carries no token header. */
  readsBody(c: Context): boolean {
    if (c.req.header(this.headerName) !== undefined) return false;
    const parsed = parsedBody(c);
    return !(typeof parsed === "object" && parsed !== null) && isFormRequest(c);
  }

  /** The token a request sent: the header, else a body Express already parsed, else the form field. */
  private async sentToken(c: Context): Promise<string | undefined> {
    const header = c.req.header(this.headerName);
    if (header !== undefined) return header;
    const parsed = parsedBody(c);
    if (typeof parsed === "object" && parsed !== null) {
      const field = (parsed as Record<string, unknown>)[this.fieldName];
      return typeof field === "string" ? field : undefined;
    }
    if (!isFormRequest(c)) return undefined;
    try {
      const field = (await c.req.parseBody())[this.fieldName];
      return typeof field === "string" ? field : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * `Origin` (else `Referer`) must be this app's origin — scheme, host and port — or a trusted origin;
   * `Sec-Fetch-Site: cross-site` is refused.
   */
  originAllowed(c: Context): boolean {
    const own = this.deployment.origin(c);
    const check = (value: string): boolean => {
      if (value === "null") return false;
      let origin: string;
      try {
        origin = new URL(value).origin;
      } catch {
        return false;
      }
      return origin === own || this.trustedOrigins.includes(origin);
    };
    const origin = c.req.header("origin");
    if (origin !== undefined) return check(origin);
    if ((c.req.header("sec-fetch-site") ?? "").toLowerCase() === "cross-site") return false;
    const referer = c.req.header("referer");
    if (referer !== undefined && referer !== "") return check(referer);
    return true;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/**
 * Middleware: gives every request a CSRF token (`c.get("csrfToken")`) and refuses state-changing
 * requests (anything but GET, HEAD, OPTIONS, TRACE) whose token is missing or wrong, or whose `Origin` is
 * another origin (403). A form is read for its field only within `bodyLimit` bytes (else 413).
 */
export function csrfCheck(
  csrf: CsrfProtection,
  bodyLimit: number,
  refuse: (c: Context, status: 403 | 413, message: string, reason: DenyReason) => Promise<Response>,
): MiddlewareHandler {
  return async (c, next) => {
    c.set("csrfToken", csrf.ensureToken(c));
    if (!SAFE_METHODS.has(c.req.method.toUpperCase())) {
      // The form is read for its CSRF field only within the body limit, before anything is checked in it.
      if (csrf.readsBody(c) && !(await readBodyWithin(c, bodyLimit))) return refuse(c, 413, BODY_TOO_LARGE_MESSAGE, "too-large");
      if (!(await csrf.passes(c))) return refuse(c, 403, CSRF_FAILED_MESSAGE, "csrf");
    }
    await next();
  };
}

/** A `trustedOrigins` entry as an origin; a malformed one is a ConfigError at start-up, not a TypeError. */
function trustedOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch (error) {
    throw new ConfigError(`trustedOrigins: ${JSON.stringify(origin)} is not an origin such as https://shop.example.com.`, { cause: error });
  }
}
