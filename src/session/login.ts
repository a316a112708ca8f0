import type { Context } from "hono";
import { StoreUnavailableError, UserNotFoundError } from "../errors.js";
import { nameLimitKey, userLimitKey } from "./account-key.js";
import type { User } from "../user/user-row.js";
import type { LoginGate, LoginResult, MfaStepParts } from "./login-types.js";
import type { AttemptTicket } from "./rate-limit.js";
import { secondFactor } from "./mfa-step.js";
import { BUSY_MESSAGE, isBusy, LOGIN_FAILED_MESSAGE, rateLimitedMessage } from "./request-state.js";

export type { LoginResult } from "./login-types.js";

/** Seconds a client is asked to wait when the hashing pool is full. */
const BUSY_RETRY_AFTER = 5;

/** The session or attempt storage (Redis) did not answer: the request is answered 503. */
export function isUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError;
}

/** The 503 answer for a storage that did not answer, with its Retry-After. */
export function unavailable(error: StoreUnavailableError): LoginResult & { ok: false } {
  return { ok: false, status: 503, message: BUSY_MESSAGE, retryAfter: error.retryAfterSeconds };
}

/** Gives the attempt back; when the storage cannot be reached the attempt simply stays counted. */
async function giveBack(ticket: AttemptTicket | undefined): Promise<void> {
  try {
    await ticket?.succeeded();
  } catch (error) {
    if (!isUnavailable(error)) throw error;
  }
}

/**
 * The password check behind every login, inside `BaseUser.login`: its one query names the account,
 * the attempt is counted under the rate limit (`beforeHash`: a refusal costs no hash), then the
 * password and the access rules are checked (a user the rules refuse costs the same and gets no
 * `last_login`); the attempt is given back on success or when the hashing pool is busy. Starts no session.
 */
export async function authenticate(auth: LoginGate, c: Context, username: unknown, password: unknown): Promise<LoginResult> {
  const name = typeof username === "string" ? username : "";
  const secret = typeof password === "string" ? password : "";
  let ticket: AttemptTicket | undefined;
  let refusal: (LoginResult & { ok: false }) | undefined;
  let verifiedUser: User | undefined;
  // Counted per account, not per spelling: "Bob", "BOB" and bob's email share one limit. The account
  // comes from the login's own query, between it and the hash (a refusal costs no hash).
  const beforeHash = async ({ userId }: { userId: number | null }): Promise<boolean> => {
    if (!auth.rateLimiter) return true;
    let decision;
    try {
      decision = await auth.rateLimiter.begin(userId !== null ? userLimitKey(userId) : nameLimitKey(name), auth.clientAddress(c));
    } catch (error) {
      // An attempt that could not be counted is refused, never let through to the password check.
      if (!isUnavailable(error)) throw error;
      refusal = unavailable(error);
      return false;
    }
    if (!decision.allowed) {
      refusal = { ok: false, status: 429, message: rateLimitedMessage(decision.retryAfter), retryAfter: decision.retryAfter };
      return false;
    }
    ticket = decision.ticket;
    return true;
  };
  // The rules are checked inside the login, so a refused user's row (last_login) is never written; the
  // user they are given is the login's own row, so no second query is made for it.
  const allow = (user: User): boolean => {
    verifiedUser = user;
    return auth.allows(user);
  };
  let userId: number | null;
  try {
    userId = await auth.userClass.login(name, secret, { allow, beforeHash });
  } catch (error) {
    if (!isBusy(error)) throw error;
    await giveBack(ticket);
    return { ok: false, status: 503, message: BUSY_MESSAGE, retryAfter: BUSY_RETRY_AFTER };
  }
  if (refusal) return refusal;
  // A class whose own login answers without calling `allow` has its user read here.
  const user = userId === null ? null : verifiedUser?.id === userId ? verifiedUser : await auth.userClass.getUser(userId);
  if (!user || !auth.allows(user)) return { ok: false, status: 401, message: LOGIN_FAILED_MESSAGE };
  await giveBack(ticket);
  return { ok: true, user };
}

/**
 * `SessionAuth.login`: the password (`authenticate`), then the second factor when one is due, then the
 * browser's old sessions ended and a new one started.
 */
export async function logIn(auth: MfaStepParts, c: Context, username: unknown, password: unknown, mfaCode?: unknown): Promise<LoginResult> {
  const result = await authenticate(auth, c, username, password);
  if (!result.ok) return result;
  const second = await secondFactor(auth, c, result.user, mfaCode);
  if (second && !second.ok) return second;
  try {
    await auth.endSession(c);
    await auth.startSession(c, result.user.id);
  } catch (error) {
    // Deleted between its password check and its session: a failed login, no session.
    if (error instanceof UserNotFoundError) return { ok: false, status: 401, message: LOGIN_FAILED_MESSAGE };
    if (isUnavailable(error)) return unavailable(error);
    throw error;
  }
  c.set("sessionUser", result.user);
  return result;
}

/**
 * Checks the logged-in user's current password (a password change form) under the same rate limit as
 * logins, so a stolen session cannot guess it quickly: `{ ok: true }`, or the refusal to show (400 for
 * a wrong password, 429 or 503 with `retryAfter`).
 *
 * @example
 * ```ts
 * app.post("/account/password", auth.guard(), async (c) => {
 *   const user = getSessionUser(c)!;
 *   const form = await c.req.parseBody();
 *   const check = await checkCurrentPassword(auth, c, user, form.current);
 *   if (!check.ok) return c.text(check.message ?? "The current password is wrong.", check.status);
 *   await BaseUser.updatePassword(user.id, String(form.password)); // ends every session, this one too
 *   return c.redirect("/auth/login");
 * });
 * ```
 */
export async function checkCurrentPassword(
  auth: LoginGate,
  c: Context,
  user: User,
  password: unknown,
): Promise<{ ok: true } | { ok: false; status: 400 | 429 | 503; retryAfter?: number; message?: string }> {
  const result = await authenticate(auth, c, user.username, password);
  if (result.ok) return result.user.id === user.id ? { ok: true } : { ok: false, status: 400 };
  if (result.status === 401) return { ok: false, status: 400 };
  return { ok: false, status: result.status, message: result.message, ...(result.retryAfter ? { retryAfter: result.retryAfter } : {}) };
}
