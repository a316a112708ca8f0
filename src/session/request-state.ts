import type { Context } from "hono";
import { PiccoloError } from "../errors.js";
import type { User } from "../user/user-row.js";

/** What the middleware leaves on the context (`c.get(...)`). */
export interface SessionVariables {
  /** The logged-in user (passing the auth's access rules), or null. */
  sessionUser: User | null;
  /** The CSRF token to put into forms (`csrftoken` field) or the `X-CSRFToken` header. */
  csrfToken: string;
}
/** Hono `Env` typing what the session middleware sets: `new Hono<SessionEnv>()` types `c.get("sessionUser")`. */
export interface SessionEnv {
  /** The context variables the middleware sets. */
  Variables: SessionVariables;
}

/**
 * The logged-in user on this request (after the session middleware ran), or null. Typed, on any Hono
 * app (no `SessionEnv` needed).
 *
 * @example
 * ```ts
 * app.get("/", auth.middleware(), (c) => c.text(getSessionUser(c)?.username ?? "anonymous"));
 * ```
 */
export function getSessionUser(c: Context): User | null {
  return ((c as Context<SessionEnv>).get("sessionUser") as User | null | undefined) ?? null;
}

/**
 * The CSRF token for forms on this request (after the session middleware ran): every form that posts
 * must send it, as the `csrftoken` field.
 *
 * @example
 * ```ts
 * app.get("/settings", auth.guard(), (c) =>
 *   c.html(`<form method="post"><input type="hidden" name="csrftoken" value="${getCsrfToken(c)}">…</form>`));
 * ```
 */
export function getCsrfToken(c: Context): string {
  return ((c as Context<SessionEnv>).get("csrfToken") as string | undefined) ?? "";
}

/**
 * The one message of every refused login (unknown user, wrong password, or an account that may not log
 * in here), so the answer does not tell which. Compare with it, or show it in a login form of your own.
 *
 * @example
 * ```ts
 * const result = await auth.login(c, username, password);
 * if (!result.ok && result.message === LOGIN_FAILED_MESSAGE) console.log("login refused");
 * ```
 */
export const LOGIN_FAILED_MESSAGE = "Login failed: the username or password is wrong, or this account may not log in here.";
/**
 * The message of a request refused by the CSRF check (403): to recognise it in a `deny` handler or a test.
 *
 * @example
 * ```ts
 * const auth = createSessionAuth({
 *   access: { deny: (c, status, message, reason) => reason === "csrf" ? c.html("<p>Reload the page and try again.</p>", 403) : c.text(message, status) },
 * });
 * ```
 */
export const CSRF_FAILED_MESSAGE = "CSRF check failed: reload the page and try again.";
export const AUTH_REQUIRED_MESSAGE = "Please log in.";
export const FORBIDDEN_MESSAGE = "You do not have permission to do this.";
export const BUSY_MESSAGE = "The server is busy checking other logins. Try again in a few seconds.";
export const UNKNOWN_HOST_MESSAGE = "This host name is not served here.";

export function rateLimitedMessage(retryAfter: number): string {
  if (retryAfter < 60) return `Too many login attempts. Try again in ${retryAfter} second${retryAfter === 1 ? "" : "s"}.`;
  const minutes = Math.ceil(retryAfter / 60);
  return `Too many login attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}

const REDIRECT_BASE = "http://piccolo.invalid";

/** A path a browser reads as this site's: `/` then not `/` or `\`, and nothing a URL parser drops or misreads. */
function isSitePath(path: string): boolean {
  if (!path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return false;
  if (/[\u0000-\u001f\u007f\\]/.test(path)) return false;
  try {
    return new URL(path, REDIRECT_BASE).origin === REDIRECT_BASE;
  } catch {
    return false;
  }
}

/**
 * A path on this site (`/x`), percent-encoded as a `Location` header carries it, else the fallback: no
 * open redirects. The value returned is the one checked: dot segments and encodings are resolved first
 * (`/.//evil.example`, `/%2e//evil.example` and `/a/..//evil.example` all normalise to `//evil.example`),
 * then the result must still be a path on this site, or the fallback is returned.
 */
export function safeRedirect(target: unknown, fallback: string): string {
  if (typeof target !== "string" || target.length > 2048 || !isSitePath(target)) return fallback;
  // URL serialisation resolves dot segments and percent-encodes everything a Location header cannot carry.
  const url = new URL(target, REDIRECT_BASE);
  const normalised = url.pathname + url.search + url.hash;
  return isSitePath(normalised) ? normalised : fallback;
}

/** A `BUSY` refusal from the hashing pool (too many hashes queued): the login is answered 503. */
export function isBusy(error: unknown): boolean {
  return error instanceof PiccoloError && error.code === "BUSY";
}

export function wantsJson(c: Context): boolean {
  const type = c.req.header("content-type") ?? "";
  if (type.includes("application/json")) return true;
  const accept = c.req.header("accept") ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}

export function isFormRequest(c: Context): boolean {
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  return type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data");
}
