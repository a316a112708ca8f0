import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { HonoOptions } from "hono/hono-base";
import type { BlankEnv } from "hono/types";
import { loginFieldLabel } from "../user/username-lookup.js";
import type { Access } from "./access.js";
import { bodyLimit, BODY_TOO_LARGE_MESSAGE } from "./body-limit.js";
import { loginPage, loginPageHeaders } from "./login-page.js";
import type { LoginResult } from "./login-types.js";
import { mfaRefusalAnswer, pendingStepAnswer, type MfaRoutesParts } from "./mfa-routes.js";
import { getCsrfToken, getSessionUser, safeRedirect, wantsJson } from "./request-state.js";

/** The request's fields (form or JSON object), or null when the body is not one (the body limit already held). */
async function readFields(c: Context, json: boolean): Promise<Record<string, unknown> | null> {
  try {
    const body: unknown = json ? await c.req.json() : await c.req.parseBody();
    if (typeof body !== "object" || body === null || Array.isArray(body)) return json ? null : {};
    return body as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** What the routes use: the session middleware, the login and logout, the access settings, the body limit. */
export interface LoginRoutesParts extends MfaRoutesParts {
  readonly access: Access;
  readonly bodyLimit: number;
  middleware(): MiddlewareHandler;
  login(c: Context, username: unknown, password: unknown, mfaCode?: unknown): Promise<LoginResult>;
  logout(c: Context): Promise<void>;
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/**
 * `GET /login` (a plain, accessible form), `POST /login` (form or JSON: `username`, `password`, optional
 * `next`) and `POST /logout`. JSON requests get JSON answers; forms get a redirect (303) or the form again.
 * Every input is checked before the login, so no session is made for a request that then fails.
 */
export function loginRoutes(auth: LoginRoutesParts, honoOptions?: HonoOptions<BlankEnv>): Hono {
  const app = new Hono(honoOptions);
  // Every body these routes get is bounded, a JSON login or a logout with the token in a header too.
  app.use("*", loginPageHeaders, auth.middleware(), bodyLimit(auth.bodyLimit, (c) => auth.access.refuse(c, 413, BODY_TOO_LARGE_MESSAGE, "too-large")));
  app.get("/login", (c) => {
    const user = getSessionUser(c);
    return c.html(loginPage(c, auth.csrf.fieldName, { next: text(c.req.query("next")), user, label: loginFieldLabel(auth.userClass) }));
  });
  app.post("/login", async (c) => {
    const json = (c.req.header("content-type") ?? "").includes("application/json");
    const body = await readFields(c, json);
    if (!body) return json ? c.json({ error: "The request body is not valid." }, 400) : c.text("Bad request", 400);
    // Decided before the login: the answer to a successful login cannot fail after its session exists.
    const location = safeRedirect(body.next, auth.access.redirectTo);
    const secondStep = await pendingStepAnswer(auth, c, body, location);
    if (secondStep) return secondStep;
    const result = await auth.login(c, body.username, body.password, body.mfa_code);
    const mfaAnswer = mfaRefusalAnswer(auth, c, result, body.next);
    if (mfaAnswer) return mfaAnswer;
    if (result.ok) {
      if (wantsJson(c)) return c.json({ user: result.user, csrfToken: getCsrfToken(c) });
      return c.redirect(location, 303);
    }
    if (result.retryAfter !== undefined) c.header("Retry-After", String(result.retryAfter));
    const reason = result.status === 429 ? "rate-limited" : result.status === 503 ? "busy" : "login-failed";
    if (auth.access.deny) return auth.access.deny(c, result.status, result.message, reason);
    if (wantsJson(c)) return c.json({ error: result.message }, result.status);
    const page = loginPage(c, auth.csrf.fieldName, {
      label: loginFieldLabel(auth.userClass),
      next: text(body.next),
      error: result.message,
      username: text(body.username) ?? "",
    });
    return c.html(page, result.status);
  });
  app.post("/logout", async (c) => {
    await auth.logout(c);
    if (wantsJson(c)) return c.json({ ok: true });
    return c.redirect(safeRedirect(auth.access.logoutRedirect(c), "/"), 303);
  });
  return app;
}
