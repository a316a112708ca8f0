// The second step of a login, after the password: an enrolled user must send an authenticator or recovery
// code (`mfa_code`, piccolo_api's field), and with `requireMfa` a covered user who is not enrolled must
// enroll before getting any session. Between the two steps the browser holds only a sealed, HttpOnly
// pending cookie (user id, expiry; never the password), valid a few minutes. Every code attempt counts
// against the account's login rate limit, as a password attempt does.
import { randomBytes } from "node:crypto";
import type { Context } from "hono";
import { setCookie } from "hono/cookie";
import { ConfigError } from "../errors.js";
import type { MfaAuthenticator } from "../user/mfa/authenticator.js";
import { openXchacha, sealXchacha } from "../user/mfa/encryption.js";
import { hasActiveEnrollment } from "../user/mfa/enrollment-check.js";
import type { User } from "../user/user-row.js";
import { cookieValues } from "./cookies.js";
import type { LoginResult, MfaStepParts, RequireMfa } from "./login-types.js";
import { BUSY_MESSAGE, isBusy, rateLimitedMessage } from "./request-state.js";
import { userLimitKey } from "./account-key.js";

/** piccolo_api's answers, which Piccolo Admin's UI looks for (`detail`, status 401). */
export const MFA_CODE_REQUIRED = "MFA code required";
export const MFA_FAILED = "MFA failed";
export const MFA_ENROLLMENT_REQUIRED = "MFA enrollment required";
/** A user enrolled in two-factor authentication, on a server without the `mfa` option. */
export const MFA_UNAVAILABLE = "This account uses two-factor authentication, which this server is not set up for: ask its administrator.";
/** How long the second step may take. */
export const PENDING_LOGIN_TTL_MS = 5 * 60_000;
const MAX_COOKIE_LENGTH = 1024;

export type { RequireMfa } from "./login-types.js";

interface Pending {
  /** The user who passed the password step. */
  u: number;
  /** Expiry (ms since 1970). */
  e: number;
  /** The sealed enrollment to confirm, when the user must enroll first. */
  p?: string;
}

/** At start-up: `requireMfa` needs `mfa`, and names one of its three groups. */
export function checkMfaOptions(options: { mfa?: MfaAuthenticator; requireMfa?: RequireMfa }): void {
  if (options.requireMfa === undefined) return;
  if (!["superusers", "admins", "all"].includes(options.requireMfa)) {
    throw new ConfigError(`requireMfa must be "superusers", "admins" or "all", not ${JSON.stringify(options.requireMfa)}.`);
  }
  if (!options.mfa) throw new ConfigError("requireMfa needs the mfa option (an MfaAuthenticator).");
}

export function requiresMfa(rule: RequireMfa | undefined, user: User): boolean {
  if (rule === "all") return true;
  if (rule === "admins") return user.admin || user.superuser;
  if (rule === "superusers") return user.superuser;
  return false;
}

const pendingCookieName = (auth: MfaStepParts) => `${auth.cookies.baseName}_mfa`;
const AAD = Buffer.from("piccolo-ts pending login", "utf8");

function writePending(auth: MfaStepParts, c: Context, mfa: MfaAuthenticator, pending: Pending | null): void {
  const value = pending
    ? Buffer.from(sealXchacha(mfa.encryption.sealingKey, randomBytes(24), Buffer.from(JSON.stringify(pending)), AAD)).toString("base64url")
    : "";
  setCookie(c, pendingCookieName(auth), value, {
    path: auth.cookies.path(c),
    httpOnly: true,
    sameSite: "Lax",
    secure: auth.cookies.secure(c),
    ...(pending ? { maxAge: Math.floor(PENDING_LOGIN_TTL_MS / 1000) } : { maxAge: 0, expires: new Date(0) }),
  });
}

function readPending(auth: MfaStepParts, c: Context, mfa: MfaAuthenticator): Pending | null {
  for (const value of cookieValues(c, pendingCookieName(auth))) {
    if (value.length > MAX_COOKIE_LENGTH || !/^[A-Za-z0-9_-]+$/.test(value)) continue;
    const opened = openXchacha(mfa.encryption.sealingKey, Buffer.from(value, "base64url"), AAD);
    if (!opened) continue;
    try {
      const pending = JSON.parse(Buffer.from(opened).toString("utf8")) as Pending;
      if (Number.isSafeInteger(pending.u) && typeof pending.e === "number" && pending.e > Date.now()) return pending;
    } catch {
      // not ours
    }
  }
  return null;
}

/**
 * After a right password: null when no second step applies (no MFA configured, or a user neither enrolled
 * nor covered by `requireMfa`), else the step's answer (a refusal, or success once the code is right).
 */
export async function secondFactor(auth: MfaStepParts, c: Context, user: User, code: unknown): Promise<LoginResult | null> {
  const mfa = auth.mfa;
  if (!mfa) {
    // Fail closed: without the key no code can be checked, and the password alone is not enough for them.
    if (!(await hasActiveEnrollment(auth.userClass, user.id))) return null;
    return { ok: false, status: 401, message: MFA_UNAVAILABLE, mfa: "unavailable" };
  }
  if (!(await mfa.isEnrolled(user.id))) {
    if (!requiresMfa(auth.requireMfa, user)) return null;
    const enrollment = await mfa.beginEnrollment(user.id);
    writePending(auth, c, mfa, { u: user.id, e: Date.now() + PENDING_LOGIN_TTL_MS, p: enrollment.pending });
    return { ok: false, status: 401, message: MFA_ENROLLMENT_REQUIRED, mfa: "enroll", enrollment };
  }
  if (code === undefined || code === null) {
    writePending(auth, c, mfa, { u: user.id, e: Date.now() + PENDING_LOGIN_TTL_MS });
    return { ok: false, status: 401, message: MFA_CODE_REQUIRED, mfa: "required" };
  }
  return checkCode(auth, c, mfa, user, code, undefined);
}

/** Whether this request is the second step of a pending login (a code, without the password). */
export function isPendingStep(auth: MfaStepParts, c: Context, fields: Record<string, unknown>): boolean {
  return auth.mfa !== undefined && fields.password === undefined && fields.mfa_code !== undefined && cookieValues(c, pendingCookieName(auth)).length > 0;
}

/** The second step on its own (the code form posts only `mfa_code`): on success the session starts. */
export async function completePendingStep(auth: MfaStepParts, c: Context, code: unknown): Promise<LoginResult> {
  const mfa = auth.mfa!;
  const pending = readPending(auth, c, mfa);
  const user = pending ? await auth.userClass.getUser(pending.u) : null;
  if (!pending || !auth.allows(user)) {
    writePending(auth, c, mfa, null);
    return { ok: false, status: 401, message: "This login has expired: log in again.", mfa: "expired" };
  }
  const result = await checkCode(auth, c, mfa, user, code, pending.p);
  if (!result.ok) return result;
  await auth.endSession(c);
  await auth.startSession(c, user.id);
  c.set("sessionUser", user);
  return result;
}

async function checkCode(auth: MfaStepParts, c: Context, mfa: MfaAuthenticator, user: User, code: unknown, enrollment: string | undefined): Promise<LoginResult> {
  const decision = auth.rateLimiter ? await auth.rateLimiter.begin(userLimitKey(user.id), auth.clientAddress(c)) : null;
  if (decision && !decision.allowed) {
    return { ok: false, status: 429, message: rateLimitedMessage(decision.retryAfter), retryAfter: decision.retryAfter };
  }
  let recoveryCodes: string[] | undefined;
  try {
    if (enrollment) {
      const done = await mfa.confirmEnrollment(user.id, enrollment, code).catch(() => null);
      if (!done) return { ok: false, status: 401, message: MFA_FAILED, mfa: "failed" };
      recoveryCodes = done.recoveryCodes;
    } else if (!(await mfa.verify(user.id, code)).ok) {
      return { ok: false, status: 401, message: MFA_FAILED, mfa: "failed" };
    }
  } catch (error) {
    if (!isBusy(error)) throw error;
    await decision?.ticket.succeeded();
    return { ok: false, status: 503, message: BUSY_MESSAGE, retryAfter: 5 };
  }
  await decision?.ticket.succeeded();
  writePending(auth, c, mfa, null);
  return recoveryCodes ? { ok: true, user, recoveryCodes } : { ok: true, user };
}
