import type { Context, MiddlewareHandler } from "hono";
import { StoreUnavailableError } from "../errors.js";
import type { User } from "../user/user-row.js";
import type { DenyReason } from "./access.js";
import { BUSY_MESSAGE } from "./request-state.js";

/**
 * Middleware: puts the user of the request's session cookie in `c.get("sessionUser")` (null when none,
 * or one the access rules refuse). Sessions in Redis during a failover: 503 with `Retry-After`, asking
 * the client to come back, never guessing a user.
 */
export function sessionResolution(
  resolveUser: (c: Context) => Promise<User | null>,
  refuse: (c: Context, status: 503, message: string, reason: DenyReason) => Promise<Response>,
): MiddlewareHandler {
  return async (c, next) => {
    let user: User | null;
    try {
      user = await resolveUser(c);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      c.header("Retry-After", String(error.retryAfterSeconds));
      return refuse(c, 503, BUSY_MESSAGE, "busy");
    }
    c.set("sessionUser", user);
    await next();
  };
}
