import type { Context, Hono, MiddlewareHandler } from "hono";
import type { User } from "../../user/user-row.js";
import { FLAG_NAMES, consequences, leavesNoManager, removedFlags, setPermissions, type FlagSet } from "../actions.js";
import { LAST_SUPERUSER_MESSAGE, actorOf, badRequest, checked, confirmed, loadTarget, readForm, type AdminKit } from "../context.js";
import { confirmPage } from "../views/forms.js";
import { showUser } from "./user-page.js";
import { flashQuery } from "../flash.js";

/** "Are you sure?" before flags are taken away; about yourself, it says what you will lose. */
function confirmRemoval(kit: AdminKit, c: Context, actor: User, user: User, after: FlagSet, deactivateOnly: boolean): Response | Promise<Response> {
  const removed = removedFlags(user, after);
  const self = actor.id === user.id;
  const mount = kit.mountOf(c);
  let warning: string | undefined;
  if (self) {
    warning = removed.includes("active") || removed.includes("admin")
      ? "You are taking rights away from yourself: you will be logged out and cannot log into this admin again until another superuser gives them back."
      : "You are taking rights away from yourself: you will no longer be able to change other users, and cannot undo this yourself.";
  }
  return c.html(
    confirmPage(kit.page(c), {
      title: deactivateOnly ? `Deactivate ${user.username}?` : `Take rights away from ${user.username}?`,
      consequences: consequences(user, removed, self),
      ...(warning ? { warning } : {}),
      action: deactivateOnly ? `${mount}/users/${user.id}/deactivate` : `${mount}/users/${user.id}/permissions`,
      fields: deactivateOnly ? [] : FLAG_NAMES.filter((flag) => after[flag]).map((flag) => [flag, "on"] as const),
      confirmLabel: deactivateOnly ? `Deactivate ${user.username}` : "Save these permissions",
      cancelHref: `${mount}/users/${user.id}`,
    }),
  );
}

export function permissionRoutes(app: Hono, kit: AdminKit, guards: { superuserOnly: MiddlewareHandler }): void {
  /** Sets the flags; taking any away goes through the confirmation page first. */
  const change = async (c: Context, user: User, after: FlagSet, isConfirmed: boolean, deactivateOnly: boolean) => {
    const actor = actorOf(c);
    const form = deactivateOnly ? undefined : ("permissions" as const);
    if (await leavesNoManager(kit, user, after)) {
      return showUser(kit, c, user, { form, notice: { kind: "error", text: LAST_SUPERUSER_MESSAGE } }, 409);
    }
    if (removedFlags(user, after).length > 0 && !isConfirmed) return confirmRemoval(kit, c, actor, user, after, deactivateOnly);
    const outcome = await setPermissions(kit, actor, user, after);
    if (!outcome.ok) return showUser(kit, c, user, { form, notice: { kind: "error", text: outcome.message } }, outcome.status);
    const mount = kit.mountOf(c);
    // Without the admin or active flag you cannot see the admin any more.
    if (actor.id === user.id && !(after.active && after.admin)) return c.redirect(`${mount}/login`, 303);
    return c.redirect(`${mount}/users/${user.id}${flashQuery(c, deactivateOnly ? "deactivated" : "permissions")}`, 303);
  };

  app.post("/users/:id/permissions", guards.superuserOnly, async (c) => {
    const user = await loadTarget(kit, c);
    if (user instanceof Response) return user;
    const form = await readForm(c);
    if (!form) return badRequest(kit, c);
    const after = { active: checked(form, "active"), admin: checked(form, "admin"), superuser: checked(form, "superuser") };
    return change(c, user, after, confirmed(form), false);
  });

  const deactivation = (user: User): FlagSet => ({ active: false, admin: user.admin, superuser: user.superuser });

  app.get("/users/:id/deactivate", guards.superuserOnly, async (c) => {
    const user = await loadTarget(kit, c);
    if (user instanceof Response) return user;
    return change(c, user, deactivation(user), false, true);
  });

  app.post("/users/:id/deactivate", guards.superuserOnly, async (c) => {
    const user = await loadTarget(kit, c);
    if (user instanceof Response) return user;
    const form = await readForm(c);
    if (!form) return badRequest(kit, c);
    return change(c, user, deactivation(user), confirmed(form), true);
  });
}
