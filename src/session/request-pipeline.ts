// What SessionAuth does for every request, once: the host check, the CSRF token and check, and the
// session's user. The middleware and the guards share it through `prepareRequest`.
import type { Context } from "hono";
import type { SessionAuth } from "./auth.js";
import { BODY_TOO_LARGE_MESSAGE, readBodyWithin } from "./body-limit.js";
import { StoreUnavailableError } from "../errors.js";
import { BUSY_MESSAGE, CSRF_FAILED_MESSAGE, UNKNOWN_HOST_MESSAGE } from "./request-state.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
const STATE = Symbol("piccolo-session-state");

/** The request's refusal, or undefined when it may go on (the result is kept on the context). */
export async function prepareRequest(auth: SessionAuth, c: Context): Promise<Response | undefined> {
  const holder = c as unknown as { [STATE]?: { response?: Response } };
  const existing = holder[STATE];
  if (existing) return existing.response;
  const state: { response?: Response } = {};
  holder[STATE] = state;
  if (!auth.deployment.hostAllowed(c)) {
    state.response = c.text(UNKNOWN_HOST_MESSAGE, 421);
    return state.response;
  }
  c.set("csrfToken", auth.csrf.ensureToken(c));
  if (!SAFE_METHODS.has(c.req.method.toUpperCase())) {
    // The form is read for its CSRF field only within the body limit, before anything is checked in it.
    if (auth.csrf.readsBody(c) && !(await readBodyWithin(c, auth.bodyLimit))) {
      state.response = await auth.refuse(c, 413, BODY_TOO_LARGE_MESSAGE, "too-large");
      return state.response;
    }
    if (!(await auth.csrf.passes(c))) {
      state.response = await auth.refuse(c, 403, CSRF_FAILED_MESSAGE, "csrf");
      return state.response;
    }
  }
  try {
    c.set("sessionUser", await auth.resolveUser(c));
  } catch (error) {
    // Sessions in Redis during a failover: ask the client to come back, never guess a user.
    if (!(error instanceof StoreUnavailableError)) throw error;
    c.header("Retry-After", String(error.retryAfterSeconds));
    state.response = await auth.refuse(c, 503, BUSY_MESSAGE, "busy");
    return state.response;
  }
  return undefined;
}
