// The passkey endpoints, added to the session layer's routes() and to the admin under `/passkeys/…`:
// the browser script, the passwordless login, the second-factor step, and adding, listing, renaming and
// removing your own passkeys. All take and answer JSON; every POST needs the CSRF token (header).
import type { Context, Hono } from "hono";
import { UserNotFoundError, ValidationError } from "../errors.js";
import type { User } from "../user/user-row.js";
import { checkCurrentPassword, isUnavailable, unavailable } from "./login.js";
import type { LoginGate, LoginResult, SessionSwitch } from "./login-types.js";
import type { PasskeyCeremonies, PasskeyCheck } from "./passkey-ceremony.js";
import { PASSKEY_SCRIPT } from "./passkey-script.js";
import { LOGIN_FAILED_MESSAGE, getCsrfToken, getSessionUser } from "./request-state.js";

/** The body of a JSON request, or {} when it is not an object. */
export async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  try {
    const body: unknown = await c.req.json();
    return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** What the passkey routes use: the login gate, starting and ending sessions, the ceremonies. */
export interface PasskeyRouteParts extends LoginGate, SessionSwitch {
  readonly passkeys: PasskeyCeremonies | null;
}

/** After a verified assertion: the browser's old sessions end and one for this user starts. */
export async function startPasskeySession(auth: PasskeyRouteParts, c: Context, user: User): Promise<LoginResult> {
  try {
    await auth.endSession(c);
    await auth.startSession(c, user.id);
  } catch (error) {
    if (error instanceof UserNotFoundError) return { ok: false, status: 401, message: LOGIN_FAILED_MESSAGE };
    if (isUnavailable(error)) return unavailable(error);
    throw error;
  }
  c.set("sessionUser", user);
  return { ok: true, user };
}

/** A passwordless login or a second-factor step: the assertion checked, then the session. */
export async function passkeyLogin(auth: PasskeyRouteParts, c: Context, passkeys: PasskeyCeremonies, body: Record<string, unknown>, purpose: "login" | "second"): Promise<LoginResult | PasskeyCheck> {
  const check = await passkeys.authenticate(c, body.response, purpose, null);
  if (!check.ok) return check;
  return startPasskeySession(auth, c, check.user);
}

/** The JSON answer of a refused ceremony (with Retry-After when there is one). */
export function refusal(c: Context, result: { status: number; message: string; retryAfter?: number }): Response {
  if (result.retryAfter !== undefined) c.header("Retry-After", String(result.retryAfter));
  return c.json({ error: result.message }, result.status as 400);
}

/** What a passkey may be removed with: the account's password, or an assertion by another of its passkeys. */
export async function removalAllowed(auth: PasskeyRouteParts, c: Context, passkeys: PasskeyCeremonies, user: User, removing: number, proof: { password?: unknown; response?: unknown }): Promise<{ ok: true } | { ok: false; status: 400 | 401 | 429 | 503; message: string; retryAfter?: number }> {
  if (proof.response !== undefined) {
    const check = await passkeys.authenticate(c, proof.response, "second", null);
    if (!check.ok) return check;
    if (check.user.id !== user.id || check.passkey.id === removing) return { ok: false, status: 400, message: "Confirm with another of your passkeys, or your password." };
    return { ok: true };
  }
  const check = await checkCurrentPassword(auth, c, user, proof.password);
  if (check.ok) return check;
  return { ok: false, status: check.status, message: check.message ?? "Your password is not right.", ...(check.retryAfter ? { retryAfter: check.retryAfter } : {}) };
}

/**
 * Adds the passkey endpoints to `app` under `prefix` (default `/passkeys`); `location(c, next)` says
 * where a login goes. Nothing is added when the auth has no `passkeys` option.
 */
export function addPasskeyRoutes(app: Hono, auth: PasskeyRouteParts, location: (c: Context, next: unknown) => string, prefix = "/passkeys"): void {
  const passkeys = auth.passkeys;
  if (!passkeys) return;
  const loggedIn = (c: Context) => getSessionUser(c);

  app.get(`${prefix}/passkeys.js`, (c) => {
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(PASSKEY_SCRIPT, 200, { "Content-Type": "text/javascript; charset=utf-8" });
  });

  app.post(`${prefix}/login/options`, async (c) => {
    if (!passkeys.passwordless) return c.json({ error: "Passkey logins are turned off." }, 404);
    const options = await passkeys.loginOptions(c);
    if (options) return c.json(options);
    c.header("Retry-After", "60");
    return c.json({ error: "Too many passkey logins are under way: try again in a minute." }, 503);
  });

  for (const purpose of ["login", "second"] as const) {
    app.post(`${prefix}/${purpose}`, async (c) => {
      if (purpose === "login" && !passkeys.passwordless) return c.json({ error: "Passkey logins are turned off." }, 404);
      const body = await jsonBody(c);
      const result = await passkeyLogin(auth, c, passkeys, body, purpose);
      if (!result.ok) return refusal(c, result);
      return c.json({ user: result.user, csrfToken: getCsrfToken(c), redirect: location(c, body.next) });
    });
  }

  app.post(`${prefix}/register/options`, async (c) => {
    const user = loggedIn(c);
    if (!user) return c.json({ error: "Log in first." }, 401);
    return c.json(await passkeys.registrationOptions(c, user));
  });

  app.post(`${prefix}/register`, async (c) => {
    const user = loggedIn(c);
    if (!user) return c.json({ error: "Log in first." }, 401);
    const body = await jsonBody(c);
    const result = await passkeys.register(c, user, body.response, body.name);
    if (!result.ok) return refusal(c, result);
    return c.json({ passkey: result.passkey });
  });

  // A challenge for confirming with one of your passkeys (removing another one).
  app.post(`${prefix}/confirm/options`, async (c) => {
    const user = loggedIn(c);
    if (!user) return c.json({ error: "Log in first." }, 401);
    return c.json(await passkeys.authenticationOptions(c, user.id));
  });

  app.get(`${prefix}`, async (c) => {
    const user = loggedIn(c);
    if (!user) return c.json({ error: "Log in first." }, 401);
    return c.json({ passkeys: await passkeys.credentials.list(user.id) });
  });

  app.post(`${prefix}/:id/rename`, async (c) => {
    const user = loggedIn(c);
    if (!user) return c.json({ error: "Log in first." }, 401);
    const body = await jsonBody(c);
    try {
      const renamed = await passkeys.credentials.rename(user.id, Number(c.req.param("id")), body.name);
      return renamed ? c.json({ ok: true }) : c.json({ error: "There is no such passkey." }, 404);
    } catch (error) {
      if (error instanceof ValidationError) return c.json({ error: error.message }, 400);
      throw error;
    }
  });

  app.post(`${prefix}/:id/remove`, async (c) => {
    const user = loggedIn(c);
    if (!user) return c.json({ error: "Log in first." }, 401);
    const id = Number(c.req.param("id"));
    const body = await jsonBody(c);
    const allowed = await removalAllowed(auth, c, passkeys, user, id, body);
    if (!allowed.ok) return refusal(c, allowed);
    return (await passkeys.credentials.remove(user.id, { id })) ? c.json({ ok: true }) : c.json({ error: "There is no such passkey." }, 404);
  });
}
