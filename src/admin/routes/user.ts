import type { Hono, MiddlewareHandler } from "hono";
import { UserExistsError, ValidationError } from "../../errors.js";
import type { User } from "../../user/user-row.js";
import { actorOf, badRequest, field, flash, knownFlash, loadTarget, readForm, type AdminKit } from "../context.js";
import { diffUser } from "../history-store.js";
import { flashQuery } from "../flash.js";
import { showUser } from "./user-page.js";

export function userRoutes(app: Hono, kit: AdminKit, guards: { loggedIn: MiddlewareHandler; superuserOnly: MiddlewareHandler }): void {
  app.get("/users/:id", guards.loggedIn, async (c) => {
    const user = await loadTarget(kit, c);
    if (user instanceof Response) return user;
    if (!knownFlash(c)) return badRequest(kit, c, "This address is not one the admin makes.");
    const notice = flash(c, user.username);
    return showUser(kit, c, user, notice ? { notice } : {});
  });

  app.post("/users/:id/profile", guards.superuserOnly, async (c) => {
    const user = await loadTarget(kit, c);
    if (user instanceof Response) return user;
    const form = await readForm(c);
    if (!form) return badRequest(kit, c);
    const profile = {
      username: field(form, "username"),
      email: field(form, "email").trim(),
      first_name: field(form, "first_name"),
      last_name: field(form, "last_name"),
    };
    await kit.history.assertReady();
    let updated: User;
    try {
      updated = await kit.userClass.updateProfile(user.id, {
        username: profile.username,
        email: profile.email,
        firstName: profile.first_name,
        lastName: profile.last_name,
      });
    } catch (error) {
      if (error instanceof ValidationError || error instanceof UserExistsError) {
        const notice = { kind: "error" as const, text: error.message };
        return showUser(kit, c, user, { form: "profile", notice, profile, ...(error.field ? { field: error.field } : {}) }, 400);
      }
      throw error;
    }
    const changes = diffUser(user, updated);
    if (changes.length > 0) await kit.history.record(actorOf(c), updated, "profile", changes);
    return c.redirect(`${kit.mountOf(c)}/users/${user.id}${flashQuery(c, "profile")}`, 303);
  });
}
