import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { basePath } from "hono/route";
import { LastSuperuserError, PiccoloError, TableMissingError, UserExistsError, ValidationError } from "../errors.js";
import {
  SessionAuth,
  getCsrfToken,
  getSessionUser,
  rateLimitedMessage,
  safeRedirect,
  type SessionAuthOptions,
} from "../session/auth.js";
import { checkCurrentPassword } from "../session/login.js";
import { MINUTE } from "../session/store.js";
import { BaseUser } from "../user/base-user.js";
import type { User } from "../user/user-row.js";
import { ADMIN_CSS } from "./styles.js";
import {
  SORTABLE_COLUMNS,
  errorPage,
  loginPage,
  newUserPage,
  passwordPage,
  userPage,
  usersPage,
  type Notice,
  type NewUserState,
  type PageContext,
  type SortColumn,
  type UserPageState,
} from "./views.js";

export const SUPERUSER_ONLY_MESSAGE = "Only superusers can perform these actions.";
export const LAST_SUPERUSER_MESSAGE =
  "You are the last active superuser who can use the admin, so you cannot remove your own superuser or admin flag or deactivate yourself. Make another user an active admin superuser first.";

/** Options of `createAdminApp`: the session options (cookies, expiry, rate limit, proxies) and the admin's own. */
export interface AdminOptions
  extends Omit<
    SessionAuthOptions,
    "activeOnly" | "adminOnly" | "superuserOnly" | "loginUrl" | "redirectTo" | "logoutRedirectTo" | "deny" | "cookiePath"
  > {
  /**
   * The path the admin is served under (`/admin`), for its links, redirects and cookie path. Unset: found
   * from Hono's `app.route()` prefix and Express's `req.baseUrl`, so it rarely needs setting.
   */
  mountPath?: string;
  /** Shown in the header and page titles (default `Piccolo admin`). */
  title?: string;
  /** Users per page (default 20). */
  pageSize?: number;
  /** Where unexpected errors are reported (default `console.error`). */
  onError?: (error: unknown) => void;
}

const PAGE_SIZES = [10, 20, 50, 100];
const FLASH: Record<string, (user?: User) => Notice> = {
  created: () => ({ kind: "success", text: "User created." }),
  permissions: () => ({ kind: "success", text: "Permissions saved." }),
  password: (user) => ({ kind: "success", text: `Password set. ${user?.username ?? "The user"} was logged out everywhere.` }),
  deactivated: (user) => ({ kind: "success", text: `${user?.username ?? "The user"} was deactivated and logged out.` }),
  own_password: () => ({ kind: "success", text: "Your password was changed. Your other sessions were logged out." }),
};

function normaliseMount(path: string): string {
  const trimmed = path.trim().replace(/\/+$/, "");
  if (trimmed === "") return "";
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

/** Express strips its mount path from the URL but keeps it in `req.baseUrl`; Hono's `route()` keeps it in the path. */
function detectMount(c: Context): string {
  const express = (c.env as { incoming?: { baseUrl?: unknown } } | undefined)?.incoming?.baseUrl;
  let hono = "";
  try {
    hono = basePath(c);
  } catch {
    hono = "";
  }
  return normaliseMount(`${typeof express === "string" ? express : ""}${normaliseMount(hono)}`);
}

function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === "string" ? value : "";
}

function parseUserId(text: string | undefined): number | null {
  if (!text || !/^[1-9][0-9]{0,15}$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}

/**
 * The user admin as a Hono app: login, a paginated, sortable, searchable list of users, a page per user,
 * changing your own password, and (superusers only) creating users, setting passwords and flags and
 * deactivating users. Only active admin users can log in. Serve it with `piccolo admin`, or mount it:
 * `app.route("/admin", createAdminApp())` in Hono, `app.use("/admin", getRequestListener(admin.fetch))`
 * in Express.
 */
export function createAdminApp(options: AdminOptions = {}): Hono {
  const userClass: typeof BaseUser = options.userClass ?? BaseUser;
  const siteTitle = options.title ?? "Piccolo admin";
  const pageSize = options.pageSize ?? 20;
  const report = options.onError ?? ((error: unknown) => console.error("piccolo admin:", error));
  const mountOf = (c: Context) => (options.mountPath !== undefined ? normaliseMount(options.mountPath) : detectMount(c));

  const pageContext = (c: Context): PageContext => ({
    mount: mountOf(c),
    siteTitle,
    csrfFieldName: auth.csrfFieldName,
    csrfToken: getCsrfToken(c),
    actor: getSessionUser(c),
  });

  const auth: SessionAuth = new SessionAuth({
    ...options,
    userClass,
    extension: options.extension ?? 20 * MINUTE,
    activeOnly: true,
    adminOnly: true,
    superuserOnly: false,
    cookiePath: (c) => mountOf(c) || "/",
    loginUrl: (c) => `${mountOf(c)}/login`,
    deny: (c, status, message, reason) => {
      const page = pageContext(c);
      const login = { href: `${page.mount}/login`, text: "Go to the login page" };
      if (reason === "csrf") {
        return c.html(errorPage(page, "Request refused", message, { href: `${page.mount}/users`, text: "Back to the admin" }), 403);
      }
      if (status === 401) return c.html(errorPage(page, "Please log in", "You need to log in to do this.", login), 401);
      return c.html(errorPage(page, "Not allowed", SUPERUSER_ONLY_MESSAGE, { href: `${page.mount}/users`, text: "Back to the users" }), status);
    },
  });
  const loggedIn = auth.guard();
  const superuserOnly = auth.guard({ superuserOnly: true });

  const app = new Hono();

  app.use("*", async (c, next) => {
    c.header(
      "Content-Security-Policy",
      "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    c.header("X-Content-Type-Options", "nosniff");
    c.header("X-Frame-Options", "DENY");
    c.header("Referrer-Policy", "same-origin");
    c.header("Cache-Control", "no-store");
    await next();
  });

  app.get("/admin.css", (c) => {
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(ADMIN_CSS, 200, { "Content-Type": "text/css; charset=utf-8" });
  });

  app.use(
    "*",
    bodyLimit({
      maxSize: 64 * 1024,
      onError: (c) => c.text("The request is too large.", 413),
    }),
  );
  app.use("*", auth.middleware());

  app.onError((error, c) => {
    const page = pageContext(c);
    if (error instanceof TableMissingError) {
      return c.html(errorPage(page, "The database is not ready", error.message), 500);
    }
    report(error);
    const detail = page.actor && error instanceof PiccoloError ? ` (${error.message})` : "";
    return c.html(errorPage(page, "Something went wrong", `The request failed${detail}. The details are in the server's log.`), 500);
  });
  app.notFound((c) => c.html(errorPage(pageContext(c), "Not found", "There is no such page here.", { href: `${mountOf(c)}/users`, text: "Go to the users" }), 404));

  // ----- logging in and out --------------------------------------------------------------------

  app.get("/", (c) => c.redirect(`${mountOf(c)}/${getSessionUser(c) ? "users" : "login"}`, 303));

  app.get("/login", (c) => {
    if (getSessionUser(c)) return c.redirect(`${mountOf(c)}/users`, 303);
    const next = c.req.query("next");
    return c.html(loginPage(pageContext(c), { next: next ? safeRedirect(next, "") : "" }));
  });

  app.post("/login", async (c) => {
    const body = await c.req.parseBody();
    const result = await auth.login(c, body.username, body.password);
    const mount = mountOf(c);
    if (result.ok) {
      const next = safeRedirect(field(body, "next"), `${mount}/users`);
      return c.redirect(next.startsWith(`${mount}/`) ? next : `${mount}/users`, 303);
    }
    if (result.retryAfter !== undefined) c.header("Retry-After", String(result.retryAfter));
    const next = field(body, "next");
    return c.html(
      loginPage(pageContext(c), { error: result.message, username: field(body, "username"), next: safeRedirect(next, "") }),
      result.status,
    );
  });

  app.post("/logout", async (c) => {
    await auth.logout(c);
    return c.redirect(`${mountOf(c)}/login`, 303);
  });

  // ----- users ---------------------------------------------------------------------------------

  app.get("/users", loggedIn, async (c) => {
    const search = (c.req.query("q") ?? "").trim().slice(0, 255);
    const sortParam = c.req.query("sort") ?? "username";
    const descending = sortParam.startsWith("-");
    const name = descending ? sortParam.slice(1) : sortParam;
    const known = SORTABLE_COLUMNS.some(([column]) => column === name);
    const sort = (known ? name : "username") as SortColumn;
    const limitParam = Number(c.req.query("limit") ?? pageSize);
    const limit = PAGE_SIZES.includes(limitParam) || limitParam === pageSize ? limitParam : pageSize;
    const total = await userClass.countUsers({ search });
    const pages = Math.max(1, Math.ceil(total / limit));
    const pageParam = Number(c.req.query("page") ?? 1);
    const page = Number.isSafeInteger(pageParam) && pageParam >= 1 ? Math.min(pageParam, pages) : 1;
    const users = await userClass.listUsers({
      limit,
      page,
      orderBy: `${known && descending ? "-" : ""}${sort}`,
      search,
    });
    const flash = FLASH[c.req.query("done") ?? ""];
    return c.html(
      usersPage(
        pageContext(c),
        { users, total, page, pages, limit, sort, descending: known && descending, search, notice: flash?.() },
        pageSize,
      ),
    );
  });

  const emptyNewUser = (): NewUserState["values"] => ({
    username: "",
    email: "",
    first_name: "",
    last_name: "",
    active: true,
    admin: false,
    superuser: false,
  });

  app.get("/users/new", superuserOnly, (c) => c.html(newUserPage(pageContext(c), { values: emptyNewUser() })));

  app.post("/users", superuserOnly, async (c) => {
    const body = await c.req.parseBody();
    const values: NewUserState["values"] = {
      username: field(body, "username"),
      email: field(body, "email").trim(),
      first_name: field(body, "first_name"),
      last_name: field(body, "last_name"),
      active: body.active !== undefined,
      admin: body.admin !== undefined,
      superuser: body.superuser !== undefined,
    };
    const password = field(body, "password");
    const again = (error: string, errorField?: string) =>
      c.html(newUserPage(pageContext(c), { values, error, ...(errorField ? { field: errorField } : {}) }), 400);
    if (password !== field(body, "confirm_password")) return again("The passwords do not match.", "confirm_password");
    try {
      const user = await userClass.createUser({
        username: values.username,
        password,
        email: values.email,
        firstName: values.first_name,
        lastName: values.last_name,
        active: values.active,
        admin: values.admin,
        superuser: values.superuser,
      });
      return c.redirect(`${mountOf(c)}/users/${user.id}?done=created`, 303);
    } catch (error) {
      if (error instanceof ValidationError) return again(error.message, error.field);
      if (error instanceof UserExistsError) return again(error.message, error.field);
      throw error;
    }
  });

  /** The user named by `:id`, or a 404 page. */
  const target = async (c: Context): Promise<User | Response> => {
    const id = parseUserId(c.req.param("id"));
    const user = id === null ? null : await userClass.getUser(id);
    if (!user) {
      return c.html(errorPage(pageContext(c), "Not found", "There is no such user.", { href: `${mountOf(c)}/users`, text: "Go to the users" }), 404);
    }
    return user;
  };

  const showUser = (c: Context, state: UserPageState, status: 200 | 400 | 409 | 429 = 200) =>
    c.html(userPage(pageContext(c), state), status);

  app.get("/users/:id", loggedIn, async (c) => {
    const user = await target(c);
    if (user instanceof Response) return user;
    const flash = FLASH[c.req.query("done") ?? ""];
    return showUser(c, flash ? { user, notice: flash(user) } : { user });
  });

  app.post("/users/:id/permissions", superuserOnly, async (c) => {
    const user = await target(c);
    if (user instanceof Response) return user;
    const body = await c.req.parseBody();
    const after = { active: body.active !== undefined, admin: body.admin !== undefined, superuser: body.superuser !== undefined };
    try {
      await userClass.changePermissions(user.id, after, { keepOneAdminSuperuser: true });
    } catch (error) {
      if (!(error instanceof LastSuperuserError)) throw error;
      return showUser(c, { user, form: "permissions", notice: { kind: "error", text: LAST_SUPERUSER_MESSAGE } }, 409);
    }
    // changePermissions ends the sessions in the user table's database; the store may use another one.
    if (!after.active || !after.admin) await auth.store.removeAllForUser(user.id);
    return c.redirect(`${mountOf(c)}/users/${user.id}?done=permissions`, 303);
  });

  app.post("/users/:id/deactivate", superuserOnly, async (c) => {
    const user = await target(c);
    if (user instanceof Response) return user;
    try {
      await userClass.changePermissions(user.id, { active: false }, { keepOneAdminSuperuser: true });
    } catch (error) {
      if (!(error instanceof LastSuperuserError)) throw error;
      return showUser(c, { user, form: "deactivate", notice: { kind: "error", text: LAST_SUPERUSER_MESSAGE } }, 409);
    }
    await auth.store.removeAllForUser(user.id);
    return c.redirect(`${mountOf(c)}/users/${user.id}?done=deactivated`, 303);
  });

  app.post("/users/:id/password", superuserOnly, async (c) => {
    const user = await target(c);
    if (user instanceof Response) return user;
    const actor = getSessionUser(c)!;
    const body = await c.req.parseBody();
    const refuse = (text: string) => showUser(c, { user, form: "password", notice: { kind: "error", text } }, 400);
    if (actor.id === user.id) {
      return refuse("Change your own password on the “Change your password” page: it asks for your current one.");
    }
    const password = field(body, "new_password");
    if (password !== field(body, "confirm_password")) return refuse("The passwords do not match.");
    try {
      await userClass.updatePassword(user.id, password);
    } catch (error) {
      if (error instanceof ValidationError) return refuse(error.message);
      throw error;
    }
    // updatePassword ends the sessions in the user table's database; the store may use another one.
    await auth.store.removeAllForUser(user.id);
    return c.redirect(`${mountOf(c)}/users/${user.id}?done=password`, 303);
  });

  // ----- own password --------------------------------------------------------------------------

  app.get("/password", loggedIn, (c) => {
    const flash = FLASH[c.req.query("done") ?? ""];
    return c.html(passwordPage(pageContext(c), flash ? { notice: flash() } : {}));
  });

  app.post("/password", loggedIn, async (c) => {
    const actor = getSessionUser(c)!;
    const body = await c.req.parseBody();
    const again = (text: string, errorField: string, status: 400 | 429 | 503 = 400) =>
      c.html(passwordPage(pageContext(c), { notice: { kind: "error", text }, field: errorField }), status);
    const password = field(body, "new_password");
    if (password !== field(body, "confirm_password")) return again("The new passwords do not match.", "confirm_password");
    try {
      userClass.validatePassword(password);
    } catch (error) {
      if (error instanceof ValidationError) return again(error.message, "new_password");
      throw error;
    }
    // Guessing the current password through a stolen session is rate-limited like logins.
    const check = await checkCurrentPassword(auth, c, actor, field(body, "current_password"));
    if (!check.ok) {
      if (check.retryAfter !== undefined) c.header("Retry-After", String(check.retryAfter));
      return again(check.message ?? "Your current password is not right.", "current_password", check.status);
    }
    await userClass.updatePassword(actor.id, password);
    await auth.store.removeAllForUser(actor.id);
    await auth.startSession(c, actor.id);
    return c.redirect(`${mountOf(c)}/password?done=own_password`, 303);
  });

  return app;
}
