import type { Hono, MiddlewareHandler } from "hono";
import { checkCurrentPassword } from "../../session/login.js";
import type { ApiTokens } from "../../user/api-tokens/tokens.js";
import { actorOf, badRequest, loadTarget, parseUserId, readForm, type AdminKit } from "../context.js";
import { errorPage } from "../views/layout.js";
import { newTokenPage } from "../views/tokens.js";
import { showUser } from "./user-page.js";

/** Your own API tokens (creating one needs your password); a superuser may revoke anyone's. */
export function tokenRoutes(app: Hono, kit: AdminKit, tokens: ApiTokens | undefined, guards: { loggedIn: MiddlewareHandler }): void {
  if (!tokens) return;
  app.post("/users/:id/tokens", guards.loggedIn, async (c) => {
    const user = await loadTarget(kit, c);
    if (user instanceof Response) return user;
    const actor = actorOf(c);
    if (actor.id !== user.id) return c.html(errorPage(kit.page(c), "Not allowed", "You can create API tokens only for yourself."), 403);
    const form = await readForm(c);
    if (!form) return badRequest(kit, c);
    const check = await checkCurrentPassword(kit.auth, c, actor, form.password);
    if (!check.ok) {
      if (check.retryAfter !== undefined) c.header("Retry-After", String(check.retryAfter));
      return showUser(kit, c, user, { tokensNotice: { kind: "error", text: check.message ?? "Your password is not right." } }, 400);
    }
    const token = await tokens.create(user.id);
    return c.html(newTokenPage(kit.page(c), token, `${kit.mountOf(c)}/users/${user.id}`));
  });

  app.post("/users/:id/tokens/:token/revoke", guards.loggedIn, async (c) => {
    const user = await loadTarget(kit, c);
    if (user instanceof Response) return user;
    const actor = actorOf(c);
    if (actor.id !== user.id && !actor.superuser) return c.html(errorPage(kit.page(c), "Not allowed", "Only superusers can revoke other users' tokens."), 403);
    const tokenId = parseUserId(c.req.param("token"));
    if (tokenId === null) return badRequest(kit, c, "There is no such token.");
    await tokens.revoke(user.id, tokenId);
    return c.redirect(`${kit.mountOf(c)}/users/${user.id}`, 303);
  });
}
