import type { Context, Hono, MiddlewareHandler } from "hono";
import type { User } from "../../user/user-row.js";
import { deleteUser, leavesNoManager } from "../actions.js";
import { LAST_SUPERUSER_OTHER_MESSAGE, actorOf, badRequest, confirmed, loadTarget, readForm, type AdminKit } from "../context.js";
import { confirmPage } from "../views/forms.js";
import { showUser } from "./user-page.js";
import { flashQuery } from "../flash.js";

export function deleteRoutes(app: Hono, kit: AdminKit, guards: { superuserOnly: MiddlewareHandler }): void {
  /** The rules first (never yourself, never the last active admin superuser), then the confirmation page. */
  const refusal = async (c: Context, user: User): Promise<Response | null> => {
    if (actorOf(c).id === user.id) {
      return showUser(kit, c, user, { notice: { kind: "error", text: "You cannot delete yourself: ask another superuser." } }, 400);
    }
    if (await leavesNoManager(kit, user, null)) {
      return showUser(kit, c, user, { notice: { kind: "error", text: LAST_SUPERUSER_OTHER_MESSAGE } }, 409);
    }
    return null;
  };

  const confirm = (c: Context, user: User) => {
    const mount = kit.mountOf(c);
    return c.html(
      confirmPage(kit.page(c), {
        title: `Delete ${user.username}?`,
        consequences: [
          `delete the user ${user.username} (${user.email || "no email"}) for good`,
          `end all of ${user.username}'s sessions: they are logged out everywhere`,
          "keep the admin's record of changes made to them",
        ],
        action: `${mount}/users/${user.id}/delete`,
        fields: [],
        confirmLabel: `Delete ${user.username}`,
        cancelHref: `${mount}/users/${user.id}`,
      }),
    );
  };

  app.get("/users/:id/delete", guards.superuserOnly, async (c) => {
    const user = await loadTarget(kit, c);
    if (user instanceof Response) return user;
    return (await refusal(c, user)) ?? confirm(c, user);
  });

  app.post("/users/:id/delete", guards.superuserOnly, async (c) => {
    const user = await loadTarget(kit, c);
    if (user instanceof Response) return user;
    const form = await readForm(c);
    if (!form) return badRequest(kit, c);
    const refused = await refusal(c, user);
    if (refused) return refused;
    if (!confirmed(form)) return confirm(c, user);
    const outcome = await deleteUser(kit, actorOf(c), user);
    if (!outcome.ok) return showUser(kit, c, user, { notice: { kind: "error", text: outcome.message } }, outcome.status);
    return c.redirect(`${kit.mountOf(c)}/users${flashQuery(c, "deleted")}`, 303);
  });
}
