import { createHash } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { User } from "../user/user-row.js";
import { secureHeaders } from "hono/secure-headers";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { getCsrfToken } from "./request-state.js";

/** Markup made by `hono/html`, escaped as it was built (the admin's pages use the same helper). */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface LoginPageState {
  next?: string | undefined;
  error?: string;
  username?: string;
  user?: User | null;
  /** The username field's label: "Username or email" for a class that logs in by email. */
  label?: string;
}

const LOGIN_CSS = "body{font:16px/1.5 system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}label,input,button{display:block;width:100%;box-sizing:border-box}input{margin:.25rem 0 1rem;padding:.5rem;font:inherit}button{padding:.6rem;font:inherit}[role=alert]{color:#a00000}:focus-visible{outline:3px solid #1a56db;outline-offset:2px}";

/**
 * The login routes' headers: no framing (`X-Frame-Options: DENY`, CSP `frame-ancestors 'none'`, so no
 * page elsewhere can overlay the form), nothing loaded but the page's own style (allowed by its hash).
 * No `form-action`: a `redirectTo` on another origin must stay reachable after the login. HSTS is left
 * to whoever terminates HTTPS, as in the admin.
 */
export const loginPageHeaders: MiddlewareHandler = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    styleSrc: [`'sha256-${createHash("sha256").update(LOGIN_CSS).digest("base64")}'`],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  xFrameOptions: "DENY",
  referrerPolicy: "same-origin",
  strictTransportSecurity: false,
});

/** The plain, accessible login form of `routes()`. */
export function loginPage(c: Context, csrfFieldName: string, state: LoginPageState): Html {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Log in</title>
<style>${raw(LOGIN_CSS)}</style>
</head>
<body><main>
<h1>Log in</h1>
${state.user ? html`<p>You are logged in as ${state.user.username}.</p>` : ""}
${state.error ? html`<p role="alert">${state.error}</p>` : ""}
<form method="post">
<input type="hidden" name="${csrfFieldName}" value="${getCsrfToken(c)}">
${state.next ? html`<input type="hidden" name="next" value="${state.next}">` : ""}
<label for="username">${state.label ?? "Username"}</label>
<input id="username" name="username" autocomplete="username" required value="${state.username ?? ""}" autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>
</main></body></html>`;
}
