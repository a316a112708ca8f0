import type { Hono } from "hono";
import { getSessionUser, safeRedirect } from "../../session/request-state.js";
import { field, readForm, type AdminKit } from "../context.js";
import { loginFieldLabel } from "../../user/username-lookup.js";
import { loginPage } from "../views/account.js";
import { mfaLoginAnswer, mfaPendingStep } from "./mfa-login.js";
import { passkeyLoginForm } from "../views/passkeys.js";

export function loginRoutes(app: Hono, kit: AdminKit): void {
  app.get("/", (c) => c.redirect(`${kit.mountOf(c)}/${getSessionUser(c) ? "users" : "login"}`, 303));

  app.get("/login", (c) => {
    if (getSessionUser(c)) return c.redirect(`${kit.mountOf(c)}/users`, 303);
    const next = c.req.query("next");
    const page = kit.page(c);
    const target = next ? safeRedirect(next, "") : "";
    return c.html(loginPage(page, { next: target, label: loginFieldLabel(kit.userClass), ...(kit.auth.passkeys?.passwordless ? { extra: passkeyLoginForm(page, target) } : {}) }));
  });

  app.post("/login", async (c) => {
    const form = (await readForm(c)) ?? {};
    const mount = kit.mountOf(c);
    // Only printable ASCII: a browser sends anything else percent-encoded, and a Location header cannot carry it.
    const next = /^[\x21-\x7e]*$/.test(field(form, "next")) ? safeRedirect(field(form, "next"), "") : "";
    const target = next.startsWith(`${mount}/`) ? next : `${mount}/users`;
    const secondStep = await mfaPendingStep(kit, c, form, next, target);
    if (secondStep) return secondStep;
    const result = await kit.auth.login(c, form.username, form.password, form.mfa_code);
    const mfaAnswer = mfaLoginAnswer(kit, c, result, next);
    if (mfaAnswer) return mfaAnswer;
    if (result.ok) return c.redirect(target, 303);
    if (result.retryAfter !== undefined) c.header("Retry-After", String(result.retryAfter));
    const label = loginFieldLabel(kit.userClass);
    return c.html(loginPage(kit.page(c), { error: result.message, username: field(form, "username"), next, label }), result.status);
  });

  app.post("/logout", async (c) => {
    await kit.auth.logout(c);
    return c.redirect(`${kit.mountOf(c)}/login`, 303);
  });
}
