// The pages of a login's second step (routes()): the code form, the enrollment form `requireMfa` leads
// to (QR code and secret), and the recovery codes shown once after it. Plain and accessible, like the
// login form; none of them holds the password.
import type { Context } from "hono";
import type { PendingEnrollment } from "../user/mfa/authenticator.js";
import { html, raw } from "hono/html";
import type { Html } from "./login-page.js";
import { getCsrfToken } from "./request-state.js";

const STYLE =
  "body{font:16px/1.5 system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}label,input,button{display:block;width:100%;box-sizing:border-box}" +
  "input{margin:.25rem 0 1rem;padding:.5rem;font:inherit}button{padding:.6rem;font:inherit}[role=alert]{color:#a00000}:focus-visible{outline:3px solid #1a56db;outline-offset:2px}" +
  ".qr svg{width:14rem;height:14rem}code{font-size:1.05rem;word-break:break-all}";

function page(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><style>${raw(STYLE)}</style></head>
<body><main>
<h1>${title}</h1>
${body}
</main></body></html>`;
}

function codeForm(c: Context, csrfFieldName: string, next: string | undefined, label: string, button: string): Html {
  return html`<form method="post">
<input type="hidden" name="${csrfFieldName}" value="${getCsrfToken(c)}">
${next ? html`<input type="hidden" name="next" value="${next}">` : ""}
<label for="mfa_code">${label}</label>
<input id="mfa_code" name="mfa_code" autocomplete="one-time-code" required autofocus spellcheck="false" autocapitalize="off">
<button type="submit">${button}</button>
</form>`;
}

/** "Enter the code from your authenticator app" (or a recovery code). */
export function mfaCodePage(c: Context, csrfFieldName: string, state: { next?: string | undefined; error?: string }): Html {
  return page(
    "Two-factor authentication",
    html`${state.error ? html`<p role="alert">${state.error}</p>` : ""}
<p>Enter the 6-digit code your authenticator app shows, or one of your recovery codes.</p>
${codeForm(c, csrfFieldName, state.next, "Code", "Verify")}`,
  );
}

/** Enrollment at login (`requireMfa`): the QR code, the secret as text, and the first code. */
export function mfaEnrollPage(c: Context, csrfFieldName: string, state: { next?: string | undefined; error?: string; enrollment: PendingEnrollment }): Html {
  return page(
    "Set up two-factor authentication",
    html`${state.error ? html`<p role="alert">${state.error}</p>` : ""}
<p>This account needs two-factor authentication. Scan the QR code with an authenticator app, or type the secret into it, then enter the code it shows.</p>
<div class="qr" role="img" aria-label="QR code of the secret">${raw(state.enrollment.qrSvg)}</div>
<p>Secret: <code id="mfa-secret">${state.enrollment.secret}</code></p>
${codeForm(c, csrfFieldName, state.next, "Code from the app", "Turn on and log in")}`,
  );
}

/** The recovery codes, once, after an enrollment at login; then on to `location`. */
export function recoveryCodesPage(codes: readonly string[], location: string): Html {
  return page(
    "Your recovery codes",
    html`<p>Two-factor authentication is on. Keep these codes somewhere safe: each one logs you in once if you lose your phone. They are shown only now.</p>
<ul id="recovery-codes">${codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
<p><a href="${location}">Continue</a></p>`,
  );
}
