import type { Context } from "hono";
import type { LoginResult } from "../../session/login.js";
import { completePendingStep, isPendingStep } from "../../session/mfa-step.js";
import type { AdminKit, Form } from "../context.js";
import { mfaEnrollPage, mfaLoginPage, mfaRecoveryCodesPage } from "../views/mfa.js";
import { passkeyStepPage } from "../views/passkeys.js";

/** The admin's page for a login stopped at the two-factor step, or null when it was not. */
export function mfaLoginAnswer(kit: AdminKit, c: Context, result: LoginResult, next: string): Response | Promise<Response> | null {
  if (result.ok || !result.mfa || result.mfa === "expired" || result.mfa === "unavailable") return null;
  const page = kit.page(c);
  if (result.mfa === "passkey" && result.passkey) return c.html(passkeyStepPage(page, { next, options: result.passkey.options, codeAlso: result.passkey.codeAlso }));
  if (result.mfa === "enroll" && result.enrollment) {
    return c.html(mfaEnrollPage(page, { action: `${page.mount}/login`, enrollment: result.enrollment, next, notice: { kind: "info", text: "This account must use two-factor authentication: set it up to log in." } }));
  }
  const error = result.mfa === "failed" ? "That code is not right." : undefined;
  return c.html(mfaLoginPage(page, { next, ...(error ? { error } : {}) }), result.mfa === "failed" ? 401 : 200);
}

/** The second step posted on its own (the code, with the pending cookie), or null when this is not one. */
export async function mfaPendingStep(kit: AdminKit, c: Context, form: Form, next: string, target: string): Promise<Response | null> {
  if (!isPendingStep(kit.auth, c, form)) return null;
  const result = await completePendingStep(kit.auth, c, form.mfa_code);
  if (result.ok) return result.recoveryCodes ? c.html(mfaRecoveryCodesPage(kit.page(c), result.recoveryCodes, target)) : c.redirect(target, 303);
  if (result.retryAfter !== undefined) c.header("Retry-After", String(result.retryAfter));
  return mfaLoginAnswer(kit, c, result, next) ?? c.redirect(`${kit.mountOf(c)}/login`, 303);
}
