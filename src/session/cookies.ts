import crypto from "node:crypto";
import type { Context } from "hono";
import { setCookie } from "hono/cookie";
import type { Deployment } from "./deployment.js";

/** Session and CSRF tokens: 32 random bytes, URL-safe base64 without padding. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Session cookies looked up per request at most. Browsers send one per matching path (an app's `id` at
 * `/` and the admin's at `/admin`, most specific first); a request with hundreds costs one query still.
 */
export const MAX_SESSION_COOKIES = 3;

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

/** The distinct well-formed session tokens of a request, in the browser's order, at most `MAX_SESSION_COOKIES`. */
export function sessionTokens(c: Context, name: string): string[] {
  const tokens: string[] = [];
  for (const value of cookieValues(c, name)) {
    if (!TOKEN_PATTERN.test(value) || tokens.includes(value)) continue;
    tokens.push(value);
    if (tokens.length === MAX_SESSION_COOKIES) break;
  }
  return tokens;
}

/**
 * The session cookie's name: over HTTPS `__Host-<name>` when its path is `/` (Secure, Path=/, no Domain:
 * neither a sibling subdomain nor a plain-HTTP page can plant or overwrite it), `__Secure-<name>` under a
 * narrower path (the admin mounted at `/admin`: __Host- requires Path=/; a plain-HTTP page still cannot
 * set it), and the name as given otherwise (plain HTTP, or `cookies.prefix: false` to share piccolo_api's `id`).
 */
export function prefixedCookieName(name: string, prefixed: boolean, path: string): string {
  if (!prefixed) return name;
  return path === "/" ? `__Host-${name}` : `__Secure-${name}`;
}

/** Constant-time comparison of two strings (the CSRF token's). */
export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  // Through the module object, so a test can watch that the constant-time compare is what runs.
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}

/**
 * Sets (a token) or clears (null) the session cookie: HttpOnly, SameSite=Lax, lasting as long as the
 * session can; login and logout write it the same way so the browser replaces one with the other.
 */
export function writeSessionCookie(
  c: Context,
  name: string,
  token: string | null,
  options: { path: string; secure: boolean; maxAgeSeconds: number },
): void {
  setCookie(c, name, token ?? "", {
    path: options.path,
    httpOnly: true,
    sameSite: "Lax",
    secure: options.secure,
    ...(token === null ? { maxAge: 0, expires: new Date(0) } : { maxAge: options.maxAgeSeconds }),
  });
}

/** `cookies`: the session cookie. */
export interface CookieOptions {
  /** The session cookie's base name (default `id`, as piccolo_api). */
  name?: string;
  /**
   * Over HTTPS, name the session cookie `__Host-<name>` (at `/`) or `__Secure-<name>` (under a narrower
   * `path`), so a sibling subdomain or a plain-HTTP page cannot plant one. Default true, or false with
   * `store.tokens: "piccolo"`; false keeps the plain name, for a Python piccolo_api app that must read
   * the same cookie.
   */
  prefix?: boolean;
  /** The cookies' path (default `/`), or a function of the request. */
  path?: string | ((c: Context) => string);
}

/**
 * The session cookie as the `cookies` options and the deployment say: its name on a request (prefixed
 * over HTTPS), its path, the tokens it carries, and writing or clearing it.
 */
export class SessionCookies {
  /** The base name (default `id`); over HTTPS `name(c)` prefixes it. */
  readonly baseName: string;
  private readonly prefix: boolean;
  private readonly maxAgeSeconds: number;

  constructor(
    private readonly options: CookieOptions,
    private readonly deployment: Pick<Deployment, "isSecure">,
    defaults: { prefix: boolean; maxAgeSeconds: number },
  ) {
    this.baseName = options.name ?? "id";
    this.prefix = options.prefix ?? defaults.prefix;
    this.maxAgeSeconds = defaults.maxAgeSeconds;
  }

  /** The path the cookies are set for on this request (`path`, default `/`). */
  path(c: Context): string {
    const path = this.options.path;
    return (typeof path === "function" ? path(c) : path) || "/";
  }

  /** Whether cookies get `Secure` on this request (the deployment's `secure` and `trustProxy`). */
  secure(c: Context): boolean {
    return this.deployment.isSecure(c);
  }

  /** The session cookie's name on this request: `__Host-id` over HTTPS at `/`, `__Secure-id` under a narrower path, else `id`. */
  name(c: Context): string {
    return prefixedCookieName(this.baseName, this.secure(c) && this.prefix, this.path(c));
  }

  /** The request's session tokens (see `sessionTokens`). */
  tokens(c: Context): string[] {
    return sessionTokens(c, this.name(c));
  }

  /** Sets (a token) or clears (null) the session cookie. */
  write(c: Context, token: string | null): void {
    writeSessionCookie(c, this.name(c), token, { path: this.path(c), secure: this.secure(c), maxAgeSeconds: this.maxAgeSeconds });
  }
}
