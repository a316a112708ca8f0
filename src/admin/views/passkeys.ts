// The admin's passkey pages: the section on a user's page (yours: add, rename, remove; a superuser's view
// of another's: the list and remove), the login page's "Sign in with a passkey", and the passkey step
// after a password. The ceremonies run in /passkeys/passkeys.js, which the admin serves itself.
import { html } from "hono/html";
import type { PasskeySummary } from "../../user/passkeys/credentials.js";
import type { User } from "../../user/user-row.js";
import { csrfField, formatDate, layout, notice, type Html, type Notice, type PageContext } from "./layout.js";

/** What the user page shows about passkeys: null when the admin has no `passkeys` option. */
export type PasskeysView = { passkeys: PasskeySummary[]; notice?: Notice } | null;

const script = (page: PageContext) => html`<script src="${page.mount}/passkeys/passkeys.js" defer></script>`;

/** The login page's passkey form: hidden until the script finds WebAuthn in the browser. */
export function passkeyLoginForm(page: PageContext, next: string): Html {
  return html`<form id="passkey-login" class="card narrow" data-passkey="login" data-options-url="${page.mount}/passkeys/login/options" data-verify-url="${page.mount}/passkeys/login" data-csrf="${page.csrfToken}" data-next="${next}" hidden>
<button type="submit" class="button secondary">Sign in with a passkey</button>
<p class="hint" role="status" data-passkey-message></p>
</form>${script(page)}`;
}

/** The step after a right password, for a user with a passkey (and the code form when they also have TOTP). */
export function passkeyStepPage(page: PageContext, state: { next: string; options: unknown; codeAlso: boolean }): Html {
  const body = html`<div class="card narrow">
<h1>Confirm with your passkey</h1>
<form id="passkey-second" data-passkey="second" data-options="${JSON.stringify(state.options)}" data-verify-url="${page.mount}/passkeys/second" data-csrf="${page.csrfToken}" data-next="${state.next}" hidden>
<button type="submit" class="button">Use your passkey</button>
<p class="hint" role="status" data-passkey-message></p>
</form>
<noscript><p>This step needs JavaScript.</p></noscript>
${state.codeAlso
  ? html`<form method="post" action="${page.mount}/login" novalidate>${csrfField(page)}${state.next ? html`<input type="hidden" name="next" value="${state.next}">` : ""}
<div class="field"><label for="mfa_code">Or a code from your authenticator app, or a recovery code</label>
<input id="mfa_code" name="mfa_code" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required></div>
<button type="submit" class="button secondary">Verify</button></form>`
  : ""}
<p><a href="${page.mount}/login">Start again</a></p>
</div>${script(page)}`;
  return layout(page, "Confirm with your passkey", body);
}

const passwordField = (id: string) =>
  html`<div class="field"><label for="${id}">Your password</label><input type="password" id="${id}" name="password" autocomplete="current-password" required></div>`;

function row(page: PageContext, user: User, self: boolean, key: PasskeySummary): Html {
  const action = (what: string) => `${page.mount}/users/${user.id}/passkeys/${key.id}/${what}`;
  const facts = html`<strong class="passkey-name">${key.name}</strong> — added ${formatDate(key.createdAt)}, last used ${formatDate(key.lastUsedAt)}${key.backedUp ? ", synced" : ""}`;
  if (!self) {
    return html`<li>${facts}<form method="post" action="${action("remove")}">${csrfField(page)}<button type="submit" class="button danger">Remove ${key.name}</button></form></li>`;
  }
  return html`<li>${facts}
<form method="post" action="${action("rename")}">${csrfField(page)}<div class="field"><label for="passkey-rename-${key.id}">New name</label><input id="passkey-rename-${key.id}" name="name" maxlength="100" required value="${key.name}"></div><button type="submit" class="button secondary">Rename</button></form>
<form method="post" action="${action("remove")}">${csrfField(page)}${passwordField(`passkey-remove-password-${key.id}`)}<button type="submit" class="button danger">Remove ${key.name}</button></form>
<form data-passkey="remove" data-options-url="${page.mount}/passkeys/confirm/options" data-verify-url="${page.mount}/passkeys/${key.id}/remove" data-csrf="${page.csrfToken}" hidden><button type="submit" class="button secondary">Remove ${key.name}, confirming with another passkey</button><p class="hint" role="status" data-passkey-message></p></form></li>`;
}

/** The "Passkeys" section: your own (add, rename, remove), or another's for a superuser (list, remove). */
export function passkeysSection(page: PageContext, user: User, self: boolean, view: PasskeysView): Html | string {
  if (!view) return "";
  if (!self && page.actor?.superuser !== true) return "";
  const list = view.passkeys.length === 0 ? html`<p id="passkeys-state">No passkeys.</p>` : html`<ul id="passkeys">${view.passkeys.map((key) => row(page, user, self, key))}</ul>`;
  const add = self
    ? html`<form id="passkey-add" data-passkey="register" data-options-url="${page.mount}/passkeys/register/options" data-verify-url="${page.mount}/passkeys/register" data-csrf="${page.csrfToken}" hidden>
<div class="field"><label for="passkey_name">Name of the new passkey</label><input id="passkey_name" name="passkey_name" maxlength="100" required placeholder="Work laptop"></div>
<button type="submit" class="button">Add a passkey</button>
<p class="hint" role="status" data-passkey-message></p>
</form>${script(page)}`
    : "";
  return html`<section class="card" aria-labelledby="passkeys-heading"><h2 id="passkeys-heading">Passkeys</h2>${notice(view.notice)}${list}${add}</section>`;
}
