// `Authorization: Bearer <token>` next to the session cookie: a request that carries the header is
// judged by its API token alone (no cookie, no CSRF token needed: a browser never adds the header by
// itself); one without it goes through the session guard as before.
import type { Context, MiddlewareHandler } from "hono";
import type { ApiTokens } from "../user/api-tokens/tokens.js";
import type { AccessRules } from "./access.js";
import type { User } from "../user/user-row.js";

/** What the guard uses of the session auth: its session guard and its access rules. */
export interface BearerGuardParts {
  guard(rules: AccessRules): MiddlewareHandler;
  allows(user: User | null, rules?: AccessRules): user is User;
}

const MAX_HEADER_LENGTH = 512;
// RFC 6750's b64token, after exactly "Bearer " (the scheme is matched case-insensitively, as RFC 7235 says).
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** The token of a well-formed `Authorization: Bearer <token>` header, or null (missing or malformed). */
export function parseBearerHeader(header: string | undefined | null): string | null {
  if (!header || header.length > MAX_HEADER_LENGTH) return null;
  return BEARER.exec(header)?.[1] ?? null;
}

function refuse(c: Context, status: 401 | 403, detail: string): Response {
  c.header("WWW-Authenticate", 'Bearer realm="api"');
  return c.json({ detail }, status);
}

/**
 * A guard that takes an API token (`Authorization: Bearer …`) or a session cookie. An unknown, revoked or
 * malformed token, or one of an inactive user, is 401; a user who fails `rules` is 403.
 *
 * @example
 * ```ts
 * const tokens = new ApiTokens();
 * app.get("/api/me", tokenOrSessionGuard(auth, tokens, { adminOnly: false }), (c) => c.json(getSessionUser(c)));
 * ```
 */
export function tokenOrSessionGuard(auth: BearerGuardParts, tokens: ApiTokens, rules: AccessRules = {}): MiddlewareHandler {
  const sessionGuard = auth.guard(rules);
  return async (c, next) => {
    const header = c.req.header("Authorization");
    if (header === undefined) return sessionGuard(c, next);
    const token = parseBearerHeader(header);
    if (!token) return refuse(c, 401, "The Authorization header must be: Bearer <token>.");
    const user = await tokens.authenticate(token);
    if (!user) return refuse(c, 401, "This API token is not valid.");
    if (!auth.allows(user, rules)) return refuse(c, 403, "This user may not do this.");
    c.set("sessionUser" as never, user as never);
    await next();
  };
}
