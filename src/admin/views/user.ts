import { html, raw } from "hono/html";
import type { User } from "../../user/user-row.js";
import { historySection, type HistoryView } from "./history.js";
import { mfaSection, type MfaView } from "./mfa.js";
import { tokensSection, type TokensView } from "./tokens.js";
import { passkeysSection, type PasskeysView } from "./passkeys.js";
import { csrfField, formatDate, invalidIf, layout, notice, yesNo, type Html, type Notice, type PageContext } from "./layout.js";

export interface ProfileValues {
  username: string;
  email: string;
  first_name: string;
  last_name: string;
}

export interface UserPageState {
  user: User;
  notice?: Notice;
  /** Which form the notice belongs to, so it shows next to it. */
  form?: "profile" | "permissions" | "password";
  /** The profile form's values when it comes back with an error (else the stored ones). */
  profile?: ProfileValues;
  /** The field an error is about. */
  field?: string;
  history: HistoryView;
  /** Two-factor authentication (loaded by showUser); a notice for its section. */
  mfa?: MfaView;
  mfaNotice?: Notice;
  /** API tokens (loaded by showUser); a notice for their section. */
  tokens?: TokensView;
  tokensNotice?: Notice;
  /** Passkeys (loaded by showUser); a notice for their section. */
  passkeys?: PasskeysView;
  passkeysNotice?: Notice;
}

export function profileOf(user: User): ProfileValues {
  return { username: user.username, email: user.email, first_name: user.firstName ?? "", last_name: user.lastName ?? "" };
}

function details(user: User): Html {
  return html`<section class="card" aria-labelledby="details-heading">
<h2 id="details-heading">Details</h2>
<dl class="details">
<dt>ID</dt><dd>${user.id}</dd>
<dt>Username</dt><dd>${user.username}</dd>
<dt>Email</dt><dd>${user.email || html`<span class="no">None</span>`}</dd>
<dt>First name</dt><dd>${user.firstName ?? ""}</dd>
<dt>Last name</dt><dd>${user.lastName ?? ""}</dd>
<dt>Active</dt><dd>${yesNo(user.active)}</dd>
<dt>Admin</dt><dd>${yesNo(user.admin)}</dd>
<dt>Superuser</dt><dd>${yesNo(user.superuser)}</dd>
<dt>Last login</dt><dd>${formatDate(user.lastLogin)}</dd>
</dl>
</section>`;
}

function profileForm(page: PageContext, state: UserPageState, at: (form: UserPageState["form"]) => Html | string): Html {
  const v = state.profile ?? profileOf(state.user);
  const text = (name: keyof ProfileValues, label: string, type = "text", extra = "") =>
    html`<div class="field"><label for="${name}">${label}</label><input type="${type}" id="${name}" name="${name}" value="${v[name]}"${invalidIf(state.form === "profile" && state.field === name)}${raw(extra)}></div>`;
  return html`<section class="card" aria-labelledby="profile-heading">
<h2 id="profile-heading">Edit details</h2>
${at("profile")}
<form method="post" action="${page.mount}/users/${state.user.id}/profile" novalidate>
${csrfField(page)}
${text("username", "Username", "text", ' required autocomplete="off" autocapitalize="none" spellcheck="false"')}
${text("email", "Email", "email", ' autocomplete="off"')}
${text("first_name", "First name")}
${text("last_name", "Last name")}
<div class="actions"><button type="submit" class="button">Save details</button></div>
</form>
</section>`;
}

function permissionsForm(page: PageContext, user: User, at: (form: UserPageState["form"]) => Html | string): Html {
  const check = (name: "active" | "admin" | "superuser", label: string, hint: string) =>
    html`<div class="check"><input type="checkbox" id="flag-${name}" name="${name}" value="on"${user[name] ? raw(" checked") : ""} aria-describedby="flag-${name}-hint"><div><label for="flag-${name}">${label}</label><p class="hint" id="flag-${name}-hint">${hint}</p></div></div>`;
  return html`<section class="card" aria-labelledby="permissions-heading">
<h2 id="permissions-heading">Permissions</h2>
${at("permissions")}
<form method="post" action="${page.mount}/users/${user.id}/permissions">
${csrfField(page)}
<fieldset>
<legend>Flags of ${user.username}</legend>
${check("active", "Active", "May log in at all.")}
${check("admin", "Admin", "May log into this admin (when also active).")}
${check("superuser", "Superuser", "May change other users, their passwords and flags.")}
</fieldset>
<p class="hint">Taking a flag away asks you to confirm first.</p>
<div class="actions"><button type="submit" class="button">Save permissions</button></div>
</form>
</section>`;
}

function passwordForm(page: PageContext, user: User, at: (form: UserPageState["form"]) => Html | string): Html {
  return html`<section class="card" aria-labelledby="password-heading">
<h2 id="password-heading">Set a new password</h2>
${at("password")}
<p class="hint">This logs ${user.username} out everywhere.</p>
<form method="post" action="${page.mount}/users/${user.id}/password" novalidate>
${csrfField(page)}
<div class="field">
<label for="new_password">New password</label>
<input type="password" id="new_password" name="new_password" autocomplete="new-password" required>
</div>
<div class="field">
<label for="confirm_password">Confirm the new password</label>
<input type="password" id="confirm_password" name="confirm_password" autocomplete="new-password" required>
</div>
<div class="actions"><button type="submit" class="button">Set password</button></div>
</form>
</section>`;
}

/** Deactivating and deleting: each button opens a confirmation page. */
function dangerZone(page: PageContext, user: User, self: boolean): Html {
  const m = page.mount;
  return html`<section class="card" aria-labelledby="danger-heading">
<h2 id="danger-heading">Deactivate or delete</h2>
<p class="hint">Both log ${user.username} out. A deactivated user can be activated again under Permissions; a deleted one is gone. You are asked to confirm first.</p>
<div class="actions">
${user.active ? html`<a class="button danger" href="${m}/users/${user.id}/deactivate">Deactivate ${user.username}</a>` : ""}
${self ? html`<p class="hint">You cannot delete yourself.</p>` : html`<a class="button danger" href="${m}/users/${user.id}/delete">Delete ${user.username}</a>`}
</div>
</section>`;
}

export function userPage(page: PageContext, state: UserPageState): Html {
  const m = page.mount;
  const { user } = state;
  const actor = page.actor!;
  const self = actor.id === user.id;
  const at = (form: UserPageState["form"]) => (state.form === form ? notice(state.notice) : "");
  let actions: Html;
  if (actor.superuser) {
    actions = html`<div class="grid">${profileForm(page, state, at)}${permissionsForm(page, user, at)}${self ? "" : passwordForm(page, user, at)}${dangerZone(page, user, self)}</div>${
      self ? html`<p><a href="${m}/password">Change your own password</a> (asks for your current one).</p>` : ""
    }`;
  } else if (self) {
    actions = html`<p><a href="${m}/password">Change your password</a></p>`;
  } else {
    actions = html`<p class="alert info">Only superusers can change other users.</p>`;
  }
  const body = html`<p><a href="${m}/users">← All users</a></p>
<h1>${user.username}${self ? " (you)" : ""}</h1>
${state.form ? "" : notice(state.notice)}
${details(user)}
${actions}
${state.mfa === undefined ? "" : mfaSection(page, user, self, state.mfa)}
${state.tokens === undefined ? "" : tokensSection(page, user, self, state.tokens)}
${state.passkeys === undefined ? "" : passkeysSection(page, user, self, state.passkeys)}
${historySection(page, user, state.history)}`;
  return layout(page, user.username, body, "users");
}
