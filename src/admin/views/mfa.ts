// The admin's two-factor pages: the section on a user's page, the enrollment page (QR code and secret),
// the recovery codes shown once, and the login's code step.
import { html, raw } from "hono/html";
import type { MfaStatus, PendingEnrollment } from "../../user/mfa/authenticator.js";
import type { User } from "../../user/user-row.js";
import { csrfField, formatDate, layout, notice, type Html, type Notice, type PageContext } from "./layout.js";

/** What the user page shows about two-factor authentication: null when the admin has no `mfa` option. */
export type MfaView = { status: MfaStatus; notice?: Notice } | null;

const passwordField = (id: string) =>
  html`<div class="field"><label for="${id}">Your password</label><input type="password" id="${id}" name="password" autocomplete="current-password" required></div>`;

/** The "Two-factor authentication" section: your own (enroll, new codes, turn off) or, for a superuser, another user's (turn off). */
export function mfaSection(page: PageContext, user: User, self: boolean, view: MfaView): Html | string {
  const superuser = page.actor?.superuser === true;
  if (!self && !superuser) return "";
  const action = (what: string) => `${page.mount}/users/${user.id}/mfa/${what}`;
  const heading = html`<h2 id="mfa-heading">Two-factor authentication</h2>`;
  if (!view) {
    return html`<section class="card" aria-labelledby="mfa-heading">${heading}<p class="hint">Not set up on this server (the admin's <code>mfa</code> option).</p></section>`;
  }
  const { status } = view;
  const state = status.enrolled
    ? html`<p id="mfa-state"><strong>On</strong> since ${formatDate(status.since)}; ${status.recoveryCodesLeft} recovery code(s) left.</p>`
    : html`<p id="mfa-state"><strong>Off</strong>.</p>`;
  if (!self) {
    return html`<section class="card" aria-labelledby="mfa-heading">${heading}${notice(view.notice)}${state}
${status.enrolled ? html`<form method="post" action="${action("revoke")}">${csrfField(page)}<p class="hint">${user.username} can then log in with the password alone, until they turn it on again.</p><button type="submit" class="button danger">Turn off two-factor authentication for ${user.username}</button></form>` : ""}
</section>`;
  }
  const forms = status.enrolled
    ? html`<form method="post" action="${action("recovery-codes")}">${csrfField(page)}${passwordField("mfa-codes-password")}<div class="actions"><button type="submit" class="button secondary">Make new recovery codes</button></div></form>
<form method="post" action="${action("revoke")}">${csrfField(page)}${passwordField("mfa-revoke-password")}<div class="actions"><button type="submit" class="button danger">Turn off two-factor authentication</button></div></form>`
    : html`<p class="hint">Logins then need a code from an authenticator app after the password.</p>
<form method="post" action="${action("enroll")}">${csrfField(page)}${passwordField("mfa-enroll-password")}<div class="actions"><button type="submit" class="button">Turn on two-factor authentication</button></div></form>`;
  return html`<section class="card" aria-labelledby="mfa-heading">${heading}${notice(view.notice)}${state}${forms}</section>`;
}

/** Scan or type the secret, then confirm with the app's first code: nothing is on until then. */
export function mfaEnrollPage(page: PageContext, form: { action: string; enrollment: PendingEnrollment; notice?: Notice; next?: string }): Html {
  const body = html`<div class="card narrow">
<h1>Set up two-factor authentication</h1>
${notice(form.notice)}
<ol>
<li>Scan this QR code with an authenticator app, or type the secret into it.</li>
<li>Enter the 6-digit code the app shows. Two-factor authentication is on only once the code is right.</li>
</ol>
<div class="qr" role="img" aria-label="QR code of the secret">${raw(form.enrollment.qrSvg)}</div>
<p>Secret: <code id="mfa-secret">${form.enrollment.secret}</code></p>
<form method="post" action="${form.action}" novalidate>
${csrfField(page)}
<input type="hidden" name="pending" value="${form.enrollment.pending}">
${form.next ? html`<input type="hidden" name="next" value="${form.next}">` : ""}
<div class="field"><label for="mfa_code">Code from the app</label><input id="mfa_code" name="mfa_code" autocomplete="one-time-code" inputmode="numeric" required autofocus></div>
<div class="actions"><button type="submit" class="button">Turn on</button></div>
</form>
</div>`;
  return layout(page, "Set up two-factor authentication", body);
}

/** The recovery codes, shown this once. */
export function mfaRecoveryCodesPage(page: PageContext, codes: readonly string[], continueHref: string): Html {
  const body = html`<div class="card narrow">
<h1>Your recovery codes</h1>
<p>Two-factor authentication is on. Keep these codes somewhere safe: each one logs you in once if you lose your phone. They are shown only now.</p>
<ul id="recovery-codes">${codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
<p><a class="button" href="${continueHref}">Continue</a></p>
</div>`;
  return layout(page, "Your recovery codes", body);
}

/** The login's second step. */
export function mfaLoginPage(page: PageContext, state: { error?: string; next?: string }): Html {
  const body = html`<div class="card narrow">
<h1>Two-factor authentication</h1>
${notice(state.error ? { kind: "error", text: state.error } : undefined)}
<form method="post" action="${page.mount}/login" novalidate>
${csrfField(page)}
${state.next ? html`<input type="hidden" name="next" value="${state.next}">` : ""}
<div class="field"><label for="mfa_code">Code from your authenticator app, or a recovery code</label>
<input id="mfa_code" name="mfa_code" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required autofocus></div>
<button type="submit" class="button">Verify</button>
</form>
</div>`;
  return layout(page, "Two-factor authentication", body);
}
