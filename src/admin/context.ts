import type { Context } from "hono";
import { basePath } from "hono/route";
import type { SessionAuth } from "../session/auth.js";
import { getCsrfToken, getSessionUser } from "../session/request-state.js";
import type { ApiTokens } from "../user/api-tokens/tokens.js";
import type { BaseUser } from "../user/base-user.js";
import type { User } from "../user/user-row.js";
import { flashIsSigned } from "./flash.js";
import type { AdminHistory } from "./history-store.js";
import { errorPage, type Notice, type PageContext } from "./views/layout.js";

/** What every route module shares: the user class, the session auth, the history and the page basics. */
export interface AdminKit {
  userClass: typeof BaseUser;
  auth: SessionAuth;
  history: AdminHistory;
  siteTitle: string;
  pageSize: number;
  pageSizes: readonly number[];
  mountOf(c: Context): string;
  page(c: Context): PageContext;
  /** API tokens, when the admin has the `apiTokens` option. */
  apiTokens?: ApiTokens;
}

/**
 * What the admin answers (403) when an admin who is not a superuser tries to change users: to recognise it in tests or a proxy.
 *
 * @example
 * ```ts
 * const page = await response.text(); // the admin's answer (403) to a change posted by a non-superuser
 * if (page.includes(SUPERUSER_ONLY_MESSAGE)) console.log("ask a superuser");
 * ```
 */
export const SUPERUSER_ONLY_MESSAGE = "Only superusers can perform these actions.";
/**
 * What the admin shows when the last active admin superuser tries to remove their own superuser or admin
 * flag, or to deactivate themselves.
 *
 * @example
 * ```ts
 * if ((await response.text()).includes(LAST_SUPERUSER_MESSAGE)) console.log("make another superuser first");
 * ```
 */
export const LAST_SUPERUSER_MESSAGE =
  "You are the last active superuser who can use the admin, so you cannot remove your own superuser or admin flag or deactivate yourself. Make another user an active admin superuser first.";
export const LAST_SUPERUSER_OTHER_MESSAGE =
  "This would leave no active admin superuser, so nobody could manage users any more. Make another user an active admin superuser first.";


export function normaliseMount(path: string): string {
  const trimmed = path.trim().replace(/\/+$/, "");
  if (trimmed === "") return "";
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

/** Express strips its mount path from the URL but keeps it in `req.baseUrl`; Hono's `route()` keeps it in the path. */
export function detectMount(c: Context): string {
  const express = (c.env as { incoming?: { baseUrl?: unknown } } | undefined)?.incoming?.baseUrl;
  let hono = "";
  try {
    hono = basePath(c);
  } catch {
    hono = "";
  }
  return normaliseMount(`${typeof express === "string" ? express : ""}${normaliseMount(hono)}`);
}

export function pageContext(kit: Pick<AdminKit, "siteTitle" | "auth" | "mountOf">, c: Context): PageContext {
  return {
    mount: kit.mountOf(c),
    siteTitle: kit.siteTitle,
    csrfFieldName: kit.auth.csrf.fieldName,
    csrfToken: getCsrfToken(c),
    actor: getSessionUser(c),
  };
}

/** The logged-in user behind a guard (which has already refused anyone else). */
export function actorOf(c: Context): User {
  const actor = getSessionUser(c);
  if (!actor) throw new Error("The admin's guard let a request through without a user.");
  return actor;
}

// ----- forms -------------------------------------------------------------------------------------

export type Form = Record<string, unknown>;

/** The posted form (repeated fields as arrays), or null when the body cannot be read. */
export async function readForm(c: Context): Promise<Form | null> {
  try {
    return (await c.req.parseBody({ all: true })) as Form;
  } catch {
    return null;
  }
}

/**
 * The start of a change to a user's second factor (two-factor codes, passkeys): the target user, you and
 * the posted form, or the answer that ends the request. `factor` is the server's set-up of it (a 400
 * saying `missing` when absent); only your own factor (`what`) may change, or another's when `othersToo`
 * and you are a superuser.
 */
export async function beginFactorChange<Factor>(
  kit: AdminKit,
  c: Context,
  factor: Factor | null | undefined,
  { what, missing, othersToo }: { what: string; missing: string; othersToo: boolean },
): Promise<Response | { user: User; actor: User; factor: Factor; form: Form }> {
  const user = await loadTarget(kit, c);
  if (user instanceof Response) return user;
  const actor = actorOf(c);
  if (!factor) return badRequest(kit, c, missing);
  if (actor.id !== user.id && (!othersToo || !actor.superuser)) {
    return c.html(errorPage(kit.page(c), "Not allowed", `You can change only your own ${what}.`), 403);
  }
  const form = await readForm(c);
  if (!form) return badRequest(kit, c);
  return { user, actor, factor, form };
}

/** A text field's value ("" when missing, a file, or repeated). */
export function field(form: Form, name: string): string {
  const value = Object.hasOwn(form, name) ? form[name] : undefined;
  return typeof value === "string" ? value : "";
}

/** Every text value of a repeated field. */
export function fields(form: Form, name: string): string[] {
  const value = Object.hasOwn(form, name) ? form[name] : undefined;
  const values = Array.isArray(value) ? value : [value];
  return values.filter((each): each is string => typeof each === "string");
}

export function checked(form: Form, name: string): boolean {
  return Object.hasOwn(form, name) && form[name] !== undefined;
}

/** Whether the form comes from a confirmation page. */
export function confirmed(form: Form): boolean {
  return field(form, "confirmed") === "yes";
}

export function parseUserId(text: string | undefined): number | null {
  if (!text || !/^[1-9][0-9]{0,15}$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}

/** A whole number ≥ 1 from the query string, else the fallback. */
export function positiveInteger(text: string | undefined, fallback: number): number {
  if (!text || !/^[1-9][0-9]{0,8}$/.test(text)) return fallback;
  return Number(text);
}

export function badRequest(kit: AdminKit, c: Context, message = "The form could not be read. Reload the page and try again."): Response | Promise<Response> {
  return c.html(errorPage(kit.page(c), "Bad request", message, { href: `${kit.mountOf(c)}/users`, text: "Back to the users" }), 400);
}

/** The user named by `:id`, or a 404 page. */
export async function loadTarget(kit: AdminKit, c: Context): Promise<User | Response> {
  const id = parseUserId(c.req.param("id"));
  const user = id === null ? null : await kit.userClass.getUser(id);
  if (!user) {
    return c.html(errorPage(kit.page(c), "Not found", "There is no such user.", { href: `${kit.mountOf(c)}/users`, text: "Go to the users" }), 404);
  }
  return user;
}

// ----- messages after a redirect (`?done=…`) -----------------------------------------------------

const FLASH: Record<string, (name: string, count: number) => Notice> = {
  created: () => ({ kind: "success", text: "User created." }),
  profile: () => ({ kind: "success", text: "Details saved." }),
  permissions: () => ({ kind: "success", text: "Permissions saved." }),
  password: (name) => ({ kind: "success", text: `Password set. ${name} was logged out everywhere.` }),
  deactivated: (name) => ({ kind: "success", text: `${name} was deactivated and logged out.` }),
  deleted: (name) => ({ kind: "success", text: `${name} was deleted, with their sessions.` }),
  mfa_on: () => ({ kind: "success", text: "Two-factor authentication is on." }),
  mfa_off: () => ({ kind: "success", text: "Two-factor authentication is off." }),
  mfa_revoked: (name) => ({ kind: "success", text: `Two-factor authentication is off for ${name}.` }),
  passkey_added: () => ({ kind: "success", text: "Passkey added." }),
  passkey_renamed: () => ({ kind: "success", text: "Passkey renamed." }),
  passkey_removed: () => ({ kind: "success", text: "Passkey removed." }),
  own_password: () => ({ kind: "success", text: "Your password was changed. Your other sessions were logged out." }),
  activated_many: (_, n) => ({ kind: "success", text: `${n} user${n === 1 ? "" : "s"} activated.` }),
  deactivated_many: (_, n) => ({ kind: "success", text: `${n} user${n === 1 ? "" : "s"} deactivated and logged out.` }),
  deleted_many: (_, n) => ({ kind: "success", text: `${n} user${n === 1 ? "" : "s"} deleted, with their sessions.` }),
};

/** False when `?done=` names no message we send (`__proto__`, `valueOf`, junk): the request is wrong (400). */
export function knownFlash(c: Context): boolean {
  const done = c.req.query("done");
  return done === undefined || Object.hasOwn(FLASH, done);
}

/** The message a `?done=` names, if any. */
export function flash(c: Context, name = "The user"): Notice | undefined {
  const done = c.req.query("done") ?? "";
  // Only a message this admin's redirect signed for this session (./flash.ts): never one a link makes up.
  if (!Object.hasOwn(FLASH, done) || !flashIsSigned(c)) return undefined;
  const notice = FLASH[done]!(name, positiveInteger(c.req.query("count"), 0));
  const skipped = positiveInteger(c.req.query("skipped"), 0);
  if (skipped > 0) {
    notice.text += ` ${skipped} left as they were: never yourself, and never the last active admin superuser.`;
  }
  return notice;
}
