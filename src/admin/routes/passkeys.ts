import type { Context, Hono, MiddlewareHandler } from "hono";
import { ValidationError } from "../../errors.js";
import { removalAllowed } from "../../session/passkey-routes.js";
import type { User } from "../../user/user-row.js";
import { badRequest, beginFactorChange, field, parseUserId, type AdminKit } from "../context.js";
import { flashQuery } from "../flash.js";
import { showUser } from "./user-page.js";

/** Renaming and removing your own passkeys (removing needs your password), and a superuser removing another's (recorded in the history). */
export function passkeyRoutes(app: Hono, kit: AdminKit, guards: { loggedIn: MiddlewareHandler }): void {
  async function begin(c: Context, selfOnly: boolean) {
    const started = await beginFactorChange(kit, c, kit.auth.passkeys, {
      what: "passkeys",
      missing: "Passkeys are not set up on this server.",
      othersToo: !selfOnly,
    });
    if (started instanceof Response) return started;
    const id = parseUserId(c.req.param("passkey"));
    if (id === null) return badRequest(kit, c);
    return { ...started, passkeys: started.factor, id };
  }
  const again = (c: Context, user: User, text: string, status: 400 | 409 = 400) => showUser(kit, c, user, { passkeysNotice: { kind: "error", text } }, status);
  const back = (c: Context, user: User, done: string) => c.redirect(`${kit.mountOf(c)}/users/${user.id}${flashQuery(c, done)}`, 303);

  app.post("/users/:id/passkeys/:passkey/rename", guards.loggedIn, async (c) => {
    const started = await begin(c, true);
    if (started instanceof Response) return started;
    try {
      if (!(await started.passkeys.credentials.rename(started.user.id, started.id, field(started.form, "name")))) return again(c, started.user, "There is no such passkey.");
    } catch (error) {
      if (error instanceof ValidationError) return again(c, started.user, error.message);
      throw error;
    }
    return back(c, started.user, "passkey_renamed");
  });

  app.post("/users/:id/passkeys/:passkey/remove", guards.loggedIn, async (c) => {
    const started = await begin(c, false);
    if (started instanceof Response) return started;
    const { user, actor, passkeys, form, id } = started;
    const self = actor.id === user.id;
    if (self) {
      const allowed = await removalAllowed(kit.auth, c, passkeys, actor, id, { password: form.password });
      if (!allowed.ok) {
        if (allowed.retryAfter !== undefined) c.header("Retry-After", String(allowed.retryAfter));
        return again(c, actor, allowed.status === 400 ? "Your password is not right." : allowed.message);
      }
    } else {
      await kit.history.assertReady();
    }
    const removed = await passkeys.credentials.remove(user.id, { id });
    if (!removed) return again(c, user, "There is no such passkey.");
    if (!self) await kit.history.record(actor, user, "passkey_removed");
    return back(c, user, "passkey_removed");
  });
}
