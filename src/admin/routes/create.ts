import type { Hono, MiddlewareHandler } from "hono";
import { UserExistsError, ValidationError } from "../../errors.js";
import { actorOf, badRequest, checked, field, readForm, type AdminKit } from "../context.js";
import { diffUser } from "../history-store.js";
import { newUserPage, type NewUserState } from "../views/forms.js";
import { flashQuery } from "../flash.js";

const emptyNewUser = (): NewUserState["values"] => ({
  username: "",
  email: "",
  first_name: "",
  last_name: "",
  active: true,
  admin: false,
  superuser: false,
});

export function createRoutes(app: Hono, kit: AdminKit, guards: { superuserOnly: MiddlewareHandler }): void {
  app.get("/users/new", guards.superuserOnly, (c) => c.html(newUserPage(kit.page(c), { values: emptyNewUser() })));

  app.post("/users", guards.superuserOnly, async (c) => {
    const form = await readForm(c);
    if (!form) return badRequest(kit, c);
    const values: NewUserState["values"] = {
      username: field(form, "username"),
      email: field(form, "email").trim(),
      first_name: field(form, "first_name"),
      last_name: field(form, "last_name"),
      active: checked(form, "active"),
      admin: checked(form, "admin"),
      superuser: checked(form, "superuser"),
    };
    const password = field(form, "password");
    const again = (error: string, errorField?: string) =>
      c.html(newUserPage(kit.page(c), { values, error, ...(errorField ? { field: errorField } : {}) }), 400);
    if (password !== field(form, "confirm_password")) return again("The passwords do not match.", "confirm_password");
    await kit.history.assertReady();
    try {
      const user = await kit.userClass.createUser({
        username: values.username,
        password,
        email: values.email,
        firstName: values.first_name,
        lastName: values.last_name,
        active: values.active,
        admin: values.admin,
        superuser: values.superuser,
      });
      // A new user may get the id of one deleted outside the admin (SQLite reuses ids): that history is not theirs.
      await kit.history.retire(user.id);
      await kit.history.record(actorOf(c), user, "created", diffUser(null, user));
      return c.redirect(`${kit.mountOf(c)}/users/${user.id}${flashQuery(c, "created")}`, 303);
    } catch (error) {
      if (error instanceof ValidationError || error instanceof UserExistsError) return again(error.message, error.field);
      throw error;
    }
  });
}
