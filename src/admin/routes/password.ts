import type { Hono, MiddlewareHandler } from "hono";
import { ValidationError } from "../../errors.js";
import { checkCurrentPassword } from "../../session/login.js";
import { actorOf, badRequest, field, flash, knownFlash, loadTarget, readForm, type AdminKit } from "../context.js";
import { passwordPage } from "../views/account.js";
import { showUser } from "./user-page.js";
import { flashQuery } from "../flash.js";

/** A superuser setting another user's password, and anyone changing their own. Recorded as "password changed", never the value. */
export function passwordRoutes(app: Hono, kit: AdminKit, guards: { loggedIn: MiddlewareHandler; superuserOnly: MiddlewareHandler }): void {
  app.post("/users/:id/password", guards.superuserOnly, async (c) => {
    const user = await loadTarget(kit, c);
    if (user instanceof Response) return user;
    const actor = actorOf(c);
    const form = await readForm(c);
    if (!form) return badRequest(kit, c);
    const refuse = (text: string) => showUser(kit, c, user, { form: "password", notice: { kind: "error", text } }, 400);
    if (actor.id === user.id) {
      return refuse("Change your own password on the “Change your password” page: it asks for your current one.");
    }
    const password = field(form, "new_password");
    if (password !== field(form, "confirm_password")) return refuse("The passwords do not match.");
    try {
      kit.userClass.validatePassword(password);
    } catch (error) {
      if (error instanceof ValidationError) return refuse(error.message);
      throw error;
    }
    await kit.history.assertReady();
    await kit.userClass.updatePassword(user.id, password);
    // updatePassword ends the sessions in the user table's database; the store may use another one.
    await kit.auth.store.removeAllForUser(user.id);
    await kit.history.record(actor, user, "password");
    return c.redirect(`${kit.mountOf(c)}/users/${user.id}${flashQuery(c, "password")}`, 303);
  });

  app.get("/password", guards.loggedIn, (c) => {
    if (!knownFlash(c)) return badRequest(kit, c, "This address is not one the admin makes.");
    const notice = flash(c);
    return c.html(passwordPage(kit.page(c), notice ? { notice } : {}));
  });

  app.post("/password", guards.loggedIn, async (c) => {
    const actor = actorOf(c);
    const form = await readForm(c);
    if (!form) return badRequest(kit, c);
    const again = (text: string, errorField: string, status: 400 | 429 | 503 = 400) =>
      c.html(passwordPage(kit.page(c), { notice: { kind: "error", text }, field: errorField }), status);
    const password = field(form, "new_password");
    if (password !== field(form, "confirm_password")) return again("The new passwords do not match.", "confirm_password");
    try {
      kit.userClass.validatePassword(password);
    } catch (error) {
      if (error instanceof ValidationError) return again(error.message, "new_password");
      throw error;
    }
    await kit.history.assertReady();
    // Guessing the current password through a stolen session is rate-limited like logins.
    const auth = kit.auth;
    const check = await checkCurrentPassword(auth, c, actor, field(form, "current_password"));
    if (!check.ok) {
      if (check.retryAfter !== undefined) c.header("Retry-After", String(check.retryAfter));
      return again(check.message ?? "Your current password is not right.", "current_password", check.status);
    }
    await kit.userClass.updatePassword(actor.id, password);
    await auth.store.removeAllForUser(actor.id);
    await auth.startSession(c, actor.id);
    await kit.history.record(actor, actor, "password");
    return c.redirect(`${kit.mountOf(c)}/password${flashQuery(c, "own_password")}`, 303);
  });
}
