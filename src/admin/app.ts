import { Hono, type Context } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { ConfigError, PiccoloError, TableMissingError } from "../errors.js";
import { SessionAuth, type SessionAuthOptions } from "../session/auth.js";
import { bodyLimit } from "../session/body-limit.js";
import type { CookieOptions } from "../session/cookies.js";
import { hostCheck } from "../session/host-check.js";
import { MINUTE } from "../session/store.js";
import type { ApiTokens } from "../user/api-tokens/tokens.js";
import { BaseUser } from "../user/base-user.js";
import { SUPERUSER_ONLY_MESSAGE, detectMount, normaliseMount, pageContext, type AdminKit } from "./context.js";
import { AdminHistory } from "./history-store.js";
import { createRoutes } from "./routes/create.js";
import { deleteRoutes } from "./routes/delete.js";
import { listRoutes } from "./routes/list.js";
import { loginRoutes } from "./routes/login.js";
import { mfaRoutes } from "./routes/mfa.js";
import { tokenRoutes } from "./routes/tokens.js";
import { passwordRoutes } from "./routes/password.js";
import { permissionRoutes } from "./routes/permissions.js";
import { userRoutes } from "./routes/user.js";
import { ADMIN_CSS } from "./styles.js";
import { errorPage } from "./views/layout.js";

export { SUPERUSER_ONLY_MESSAGE, LAST_SUPERUSER_MESSAGE } from "./context.js";

/**
 * Options of `createAdminApp`: the session options (`store`, `cookies`, `csrf`, `rateLimit`, `deployment`
 * — trusted proxy, secure cookies, allowed hosts — handed on to the session auth) and the admin's own. The
 * admin fixes `access` (active admins log in) and the cookies' path (where it is mounted).
 */
export interface AdminOptions extends Omit<SessionAuthOptions, "access" | "cookies"> {
  /** The session cookie's name and prefix (its path is where the admin is mounted). */
  cookies?: Omit<CookieOptions, "path">;
  /**
   * The path the admin is served under (`/admin`), for its links, redirects and cookie path. Unset: found
   * from Hono's `app.route()` prefix and Express's `req.baseUrl`, so it rarely needs setting.
   */
  mountPath?: string;
  /** Shown in the header and page titles (default `Piccolo admin`). */
  title?: string;
  /** Users per page when the URL names none (default 20); the list offers 20, 50 and 100. */
  pageSize?: number;
  /** Where unexpected errors are reported (default `console.error`). */
  onError?: (error: unknown) => void;
  /** API tokens: users create and revoke theirs on their own page, superusers revoke anyone's. */
  apiTokens?: ApiTokens;
}

const PAGE_SIZES = [20, 50, 100];

/** Today's policy: nothing but our stylesheet, no framing, forms only to ourselves, nothing cached. */
const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", "data:"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  xFrameOptions: "DENY",
  referrerPolicy: "same-origin",
  // HSTS belongs to whoever terminates HTTPS (a proxy); the admin is often served over loopback HTTP.
  strictTransportSecurity: false,
});

/**
 * The user admin as a Hono app: login; a paginated, sortable, searchable, filterable list of users; a page
 * per user with its history; changing your own password; and (superusers only) creating, editing,
 * deactivating and deleting users, setting passwords and flags, and bulk actions. Only active admin users
 * can log in. Serve it with `piccolo admin`, or mount it in your own server.
 *
 * @example
 * ```ts
 * class MyUser extends BaseUser {}
 * app.route("/admin", createAdminApp({ userClass: MyUser, title: "Shop admin" }));            // Hono
 * expressApp.use("/admin", getRequestListener(createAdminApp({ deployment: { trustProxy: 1 } }).fetch)); // Express, before body parsers
 * ```
 */
export function createAdminApp(options: AdminOptions = {}): Hono {
  const { mountPath, title, pageSize: configuredPageSize, onError, apiTokens, ...sessionOptions } = options;
  const userClass = options.userClass ?? BaseUser;
  const pageSize = configuredPageSize ?? 20;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new ConfigError(`pageSize must be a whole number of users > 0, not ${String(pageSize)}.`);
  const report = onError ?? ((error: unknown) => console.error("piccolo admin:", error));
  const mountOf = (c: Context) => (mountPath !== undefined ? normaliseMount(mountPath) : detectMount(c));
  const siteTitle = title ?? "Piccolo admin";

  // Everything the session layer knows how to do (proxies, secure cookies, allowed hosts, rate limits)
  // is passed on as given; the admin only fixes who may log in and where its pages are.
  const auth: SessionAuth = new SessionAuth({
    ...sessionOptions,
    userClass,
    store: { ...options.store, extension: options.store?.extension ?? 20 * MINUTE },
    cookies: { ...options.cookies, path: (c) => mountOf(c) || "/" },
    access: {
      activeOnly: true,
      adminOnly: true,
      superuserOnly: false,
      loginUrl: (c) => `${mountOf(c)}/login`,
      deny: (c, status, message, reason) => {
      const page = pageContext({ siteTitle, auth, mountOf }, c);
      const users = { href: `${page.mount}/users`, text: "Back to the users" };
      if (reason === "csrf") return c.html(errorPage(page, "Request refused", message, { ...users, text: "Back to the admin" }), 403);
      if (status === 401) {
        return c.html(errorPage(page, "Please log in", "You need to log in to do this.", { href: `${page.mount}/login`, text: "Go to the login page" }), 401);
      }
      if (reason === "forbidden") return c.html(errorPage(page, "Not allowed", SUPERUSER_ONLY_MESSAGE, users), status);
      // Anything else the session layer refuses (a rate limit, a busy database) says why itself.
      return c.html(errorPage(page, "Please try again later", message, users), status);
      },
    },
  });
  const kit: AdminKit = {
    userClass,
    auth,
    history: new AdminHistory(options.database ?? userClass.database),
    siteTitle,
    pageSize,
    pageSizes: PAGE_SIZES.includes(pageSize) ? PAGE_SIZES : [...PAGE_SIZES, pageSize].sort((a, b) => a - b),
    mountOf,
    page: (c) => pageContext(kit, c),
    ...(apiTokens ? { apiTokens } : {}),
  };
  const guards = { loggedIn: auth.guard(), superuserOnly: auth.guard({ superuserOnly: true }) };

  const app = new Hono();
  app.use("*", securityHeaders, async (c, next) => {
    c.header("Cache-Control", "no-store");
    await next();
  });
  app.get("/admin.css", (c) => {
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(ADMIN_CSS, 200, { "Content-Type": "text/css; charset=utf-8" });
  });
  // Browsers ask every site for it: an empty answer rather than a "Not found" page in the log.
  app.get("/favicon.ico", (c) => c.body(null, 204));
  // `/admin/` (a trailing slash) is the admin too, wherever it is mounted: Hono's routes would not match it.
  app.use("*", async (c, next) => {
    const mount = mountOf(c);
    if (mount !== "" && c.req.path === `${mount}/`) return c.redirect(`${mount}/users`, 302);
    await next();
  });
  // The host check before the body is read: a Host that is no host (`a@b`) cannot even form the
  // request's URL, which reading the body needs.
  app.use("*", hostCheck(auth.deployment));
  // Counted while it streams, chunked bodies included; the session middleware then reads the copy.
  app.use("*", bodyLimit(auth.bodyLimit, (c) => c.text("The request is too large.", 413)));
  app.use("*", auth.middleware());

  app.onError((error, c) => {
    const page = kit.page(c);
    if (error instanceof TableMissingError) return c.html(errorPage(page, "The database is not ready", error.message), 500);
    report(error);
    const detail = page.actor && error instanceof PiccoloError ? ` (${error.message})` : "";
    return c.html(errorPage(page, "Something went wrong", `The request failed${detail}. The details are in the server's log.`), 500);
  });
  app.notFound((c) => c.html(errorPage(kit.page(c), "Not found", "There is no such page here.", { href: `${mountOf(c)}/users`, text: "Go to the users" }), 404));

  loginRoutes(app, kit);
  createRoutes(app, kit, guards); // before /users/:id, which would take "new" for an id
  listRoutes(app, kit, guards);
  userRoutes(app, kit, guards);
  permissionRoutes(app, kit, guards);
  passwordRoutes(app, kit, guards);
  deleteRoutes(app, kit, guards);
  mfaRoutes(app, kit, guards);
  tokenRoutes(app, kit, apiTokens, guards);
  return app;
}
