import { randomBytes } from "node:crypto";
import type { Context } from "hono";
import { setCookie } from "hono/cookie";
import { cookieValues, sameText, TOKEN_PATTERN } from "./cookies.js";
import type { Deployment } from "./deployment.js";
import { parsedNodeBody } from "./node-adapter.js";
import { isFormRequest } from "./request-state.js";

export interface CsrfOptions {
  /** The cookie's base name (default `csrftoken`); over HTTPS it is sent as `__Host-<name>`. */
  cookieName: string;
  headerName: string;
  fieldName: string;
  trustedOrigins: readonly string[];
  cookiePath: (c: Context) => string;
}

/**
 * Double-submit CSRF protection plus an origin check. Over HTTPS the cookie is `__Host-csrftoken`
 * (Secure, Path=/, no Domain), which a sibling subdomain or a plain-HTTP page cannot set. When a
 * request carries several CSRF cookies of the name in use (one planted for another path, say), the
 * token is ambiguous, and state-changing requests are refused rather than trusting the first.
 */
export class CsrfProtection {
  constructor(
    private readonly options: CsrfOptions,
    private readonly deployment: Deployment,
  ) {}

  /** The cookie name in use on this request. */
  cookieName(c: Context): string {
    return this.deployment.isSecure(c) ? `__Host-${this.options.cookieName}` : this.options.cookieName;
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
      path: secure ? "/" : this.options.cookiePath(c),
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
    if (c.req.header(this.options.headerName) !== undefined) return false;
    const parsed = parsedNodeBody(c);
    return !(typeof parsed === "object" && parsed !== null) && isFormRequest(c);
  }

  /** The token a request sent: the header, else a body Express already parsed, else the form field. */
  private async sentToken(c: Context): Promise<string | undefined> {
    const header = c.req.header(this.options.headerName);
    if (header !== undefined) return header;
    const parsed = parsedNodeBody(c);
    if (typeof parsed === "object" && parsed !== null) {
      const field = (parsed as Record<string, unknown>)[this.options.fieldName];
      return typeof field === "string" ? field : undefined;
    }
    if (!isFormRequest(c)) return undefined;
    try {
      const field = (await c.req.parseBody())[this.options.fieldName];
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
      return origin === own || this.options.trustedOrigins.includes(origin);
    };
    const origin = c.req.header("origin");
    if (origin !== undefined) return check(origin);
    if ((c.req.header("sec-fetch-site") ?? "").toLowerCase() === "cross-site") return false;
    const referer = c.req.header("referer");
    if (referer !== undefined && referer !== "") return check(referer);
    return true;
  }
}
