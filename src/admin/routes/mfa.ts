import type { Context, Hono, MiddlewareHandler } from "hono";
import { MfaError } from "../../errors.js";
import { userLimitKey } from "../../session/account-key.js";
import { checkCurrentPassword } from "../../session/login.js";
import type { MfaAuthenticator } from "../../user/mfa/authenticator.js";
import type { User } from "../../user/user-row.js";
import { beginFactorChange, field, type AdminKit } from "../context.js";
import type { Notice } from "../views/layout.js";
import { errorPage } from "../views/layout.js";
import { mfaEnrollPage, mfaRecoveryCodesPage } from "../views/mfa.js";
import { showUser } from "./user-page.js";
import { flashQuery } from "../flash.js";

/** Your own two-factor authentication (each change needs your password), and a superuser turning off another's (recorded in the history). */
export function mfaRoutes(app: Hono, kit: AdminKit, guards: { loggedIn: MiddlewareHandler }): void {
  /** The target, the actor, the form and the authenticator, or the answer that ends the request. */
  async function begin(c: Context, selfOnly: boolean) {
    const started = await beginFactorChange(kit, c, kit.auth.mfa, {
      what: "two-factor authentication",
      missing: "Two-factor authentication is not set up on this server.",
      othersToo: !selfOnly,
    });
    return started instanceof Response ? started : { ...started, mfa: started.factor };
  }
  const again = (c: Context, user: User, text: string) => showUser(kit, c, user, { mfaNotice: { kind: "error", text } }, 400);
  const passwordRefused = async (c: Context, actor: User, password: unknown): Promise<Response | null> => {
    const check = await checkCurrentPassword(kit.auth, c, actor, password);
    if (check.ok) return null;
    if (check.retryAfter !== undefined) c.header("Retry-After", String(check.retryAfter));
    return again(c, actor, check.message ?? "Your password is not right.");
  };
  const enrollPage = (c: Context, user: User, enrollment: Parameters<typeof mfaEnrollPage>[1]["enrollment"], notice?: Notice) =>
    c.html(mfaEnrollPage(kit.page(c), { action: `${kit.mountOf(c)}/users/${user.id}/mfa/confirm`, enrollment, ...(notice ? { notice } : {}) }), notice ? 400 : 200);

  app.post("/users/:id/mfa/enroll", guards.loggedIn, async (c) => {
    const started = await begin(c, true);
    if (started instanceof Response) return started;
    const refused = await passwordRefused(c, started.actor, started.form.password);
    if (refused) return refused;
    return enrollPage(c, started.user, await started.mfa.beginEnrollment(started.user.id));
  });

  app.post("/users/:id/mfa/confirm", guards.loggedIn, async (c) => {
    const started = await begin(c, true);
    if (started instanceof Response) return started;
    const { user, mfa, form } = started;
    const pending = field(form, "pending");
    let done: { recoveryCodes: string[] } | null | Response;
    try {
      done = await confirm(kit, c, mfa, user, pending, field(form, "mfa_code"));
    } catch (error) {
      if (error instanceof MfaError) return again(c, user, "This setup has expired: start again.");
      throw error;
    }
    if (done instanceof Response) return done;
    if (!done) {
      const shown = await mfa.reopenEnrollment(user.id, pending);
      if (!shown) return again(c, user, "This setup has expired: start again.");
      return enrollPage(c, user, shown, { kind: "error", text: "That code is not right: two-factor authentication is still off. Check the phone's clock and try again." });
    }
    return c.html(mfaRecoveryCodesPage(kit.page(c), done.recoveryCodes, `${kit.mountOf(c)}/users/${user.id}${flashQuery(c, "mfa_on")}`));
  });

  app.post("/users/:id/mfa/recovery-codes", guards.loggedIn, async (c) => {
    const started = await begin(c, true);
    if (started instanceof Response) return started;
    const refused = await passwordRefused(c, started.actor, started.form.password);
    if (refused) return refused;
    const codes = await started.mfa.regenerateRecoveryCodes(started.user.id);
    return c.html(mfaRecoveryCodesPage(kit.page(c), codes, `${kit.mountOf(c)}/users/${started.user.id}`));
  });

  app.post("/users/:id/mfa/revoke", guards.loggedIn, async (c) => {
    const started = await begin(c, false);
    if (started instanceof Response) return started;
    const { user, actor, mfa, form } = started;
    const self = actor.id === user.id;
    if (self) {
      const refused = await passwordRefused(c, actor, form.password);
      if (refused) return refused;
    } else {
      await kit.history.assertReady();
    }
    const revoked = await mfa.revoke(user.id);
    if (revoked && !self) await kit.history.record(actor, user, "mfa_revoked");
    return c.redirect(`${kit.mountOf(c)}/users/${user.id}${flashQuery(c, self ? "mfa_off" : "mfa_revoked")}`, 303);
  });
}

/** A wrong enrollment code counts against the login limit, like a wrong login code. */
async function confirm(kit: AdminKit, c: Context, mfa: MfaAuthenticator, user: User, pending: string, code: string): Promise<{ recoveryCodes: string[] } | null | Response> {
  const decision = kit.auth.rateLimiter ? await kit.auth.rateLimiter.begin(userLimitKey(user.id), kit.auth.clientAddress(c)) : null;
  if (decision && !decision.allowed) {
    c.header("Retry-After", String(decision.retryAfter));
    return c.html(errorPage(kit.page(c), "Please try again later", "Too many wrong codes."), 429);
  }
  const done = await mfa.confirmEnrollment(user.id, pending, code);
  if (done) await decision?.ticket.succeeded();
  return done;
}
