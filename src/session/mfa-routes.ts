// How routes()'s POST /login answers the two-factor step (mfa-step.ts): JSON as piccolo_api under
// FastAPI (`401 {"detail": "MFA code required"}`, which Piccolo Admin's UI looks for), forms with the
// code or enrollment page.
import type { Context } from "hono";
import type { CsrfProtection } from "./csrf.js";
import type { LoginResult, MfaStepParts } from "./login-types.js";
import { mfaCodePage, mfaEnrollPage, recoveryCodesPage } from "./mfa-pages.js";
import { completePendingStep, isPendingStep } from "./mfa-step.js";
import { getCsrfToken, wantsJson } from "./request-state.js";

/** What the answers need: the second step's pieces and the CSRF field's name for the forms. */
export interface MfaRoutesParts extends MfaStepParts {
  readonly csrf: Pick<CsrfProtection, "fieldName">;
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** The answer to a login stopped at the two-factor step, or null when it was not. */
export function mfaRefusalAnswer(auth: MfaRoutesParts, c: Context, result: LoginResult, next: unknown): Response | Promise<Response> | null {
  if (result.ok || !result.mfa) return null;
  if (result.retryAfter !== undefined) c.header("Retry-After", String(result.retryAfter));
  if (wantsJson(c)) {
    const enrollment = result.enrollment ? { secret: result.enrollment.secret, uri: result.enrollment.uri, qrSvg: result.enrollment.qrSvg } : undefined;
    return c.json({ detail: result.message, error: result.message, ...(enrollment ? { enrollment } : {}) }, result.status);
  }
  if (result.mfa === "expired" || result.mfa === "unavailable") return null; // the login form again, with the message
  const state = { next: text(next), ...(result.mfa === "failed" ? { error: "That code is not right. Try again." } : {}) };
  // 200 for the next step's form, as piccolo_api answers an HTML login that needs a code.
  if (result.enrollment) return c.html(mfaEnrollPage(c, auth.csrf.fieldName, { ...state, enrollment: result.enrollment }));
  return c.html(mfaCodePage(c, auth.csrf.fieldName, state), result.mfa === "failed" ? 401 : 200);
}

/**
 * The second step posted on its own (`mfa_code` with the pending cookie, no password): the answer, or
 * null when this request is not one.
 */
export async function pendingStepAnswer(auth: MfaRoutesParts, c: Context, fields: Record<string, unknown>, location: string): Promise<Response | null> {
  if (!isPendingStep(auth, c, fields)) return null;
  const result = await completePendingStep(auth, c, fields.mfa_code);
  if (!result.ok) {
    if (result.mfa === "failed" && !wantsJson(c)) {
      // An enrollment keeps its page (its secret is in the cookie, not shown again): ask to start over.
      return c.html(mfaCodePage(c, auth.csrf.fieldName, { next: text(fields.next), error: "That code is not right. Try again." }), 401);
    }
    return mfaRefusalAnswer(auth, c, result, fields.next) ?? (wantsJson(c) ? c.json({ detail: result.message, error: result.message }, result.status) : c.text(result.message, result.status));
  }
  if (wantsJson(c)) return c.json({ user: result.user, csrfToken: getCsrfToken(c), ...(result.recoveryCodes ? { recoveryCodes: result.recoveryCodes } : {}) });
  if (result.recoveryCodes) return c.html(recoveryCodesPage(result.recoveryCodes, location));
  return c.redirect(location, 303);
}
