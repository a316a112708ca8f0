import { html, raw } from "hono/html";
import { csrfField, invalidIf, layout, notice, type Html, type PageContext } from "./layout.js";

export interface NewUserState {
  values: { username: string; email: string; first_name: string; last_name: string; active: boolean; admin: boolean; superuser: boolean };
  error?: string;
  field?: string;
}

export function newUserPage(page: PageContext, state: NewUserState): Html {
  const m = page.mount;
  const v = state.values;
  const invalid = (name: string) => invalidIf(state.field === name);
  const text = (name: "username" | "email" | "first_name" | "last_name", label: string, type = "text", extra = "") =>
    html`<div class="field"><label for="${name}">${label}</label><input type="${type}" id="${name}" name="${name}" value="${v[name]}"${invalid(name)}${raw(extra)}></div>`;
  const check = (name: "active" | "admin" | "superuser", label: string) =>
    html`<div class="check"><input type="checkbox" id="new-${name}" name="${name}" value="on"${v[name] ? raw(" checked") : ""}><label for="new-${name}">${label}</label></div>`;
  const body = html`<p><a href="${m}/users">← All users</a></p>
<div class="card medium">
<h1>Add a user</h1>
${notice(state.error ? { kind: "error", text: state.error } : undefined)}
<form method="post" action="${m}/users" novalidate>
${csrfField(page)}
${text("username", "Username", "text", ' required autocomplete="off" autocapitalize="none" spellcheck="false"')}
${text("email", "Email (optional)", "email", ' autocomplete="off"')}
${text("first_name", "First name (optional)")}
${text("last_name", "Last name (optional)")}
<div class="field"><label for="password">Password</label><input type="password" id="password" name="password" autocomplete="new-password" required${invalid("password")}></div>
<div class="field"><label for="confirm_password">Confirm the password</label><input type="password" id="confirm_password" name="confirm_password" autocomplete="new-password" required${invalid("confirm_password")}></div>
<fieldset><legend>Flags</legend>
${check("active", "Active (may log in)")}
${check("admin", "Admin (may use this admin)")}
${check("superuser", "Superuser (may change other users)")}
</fieldset>
<div class="actions"><button type="submit" class="button">Create user</button></div>
</form>
</div>`;
  return layout(page, "Add a user", body, "users");
}

export interface ConfirmState {
  title: string;
  /** What will happen, one sentence a line. */
  consequences: string[];
  /** Shown above everything in an alert: acting on yourself. */
  warning?: string;
  /** Where the confirmed form posts, and what it carries (the choice being confirmed). */
  action: string;
  fields: readonly (readonly [string, string])[];
  confirmLabel: string;
  cancelHref: string;
}

/** "Are you sure?": every action that deletes or takes rights away passes through this page. */
export function confirmPage(page: PageContext, state: ConfirmState): Html {
  const body = html`<div class="card medium confirm">
<h1>${state.title}</h1>
${state.warning ? notice({ kind: "error", text: state.warning }) : ""}
<p>This will:</p>
<ul>${state.consequences.map((line) => html`<li>${line}</li>`)}</ul>
<form method="post" action="${state.action}">
${csrfField(page)}
${state.fields.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<input type="hidden" name="confirmed" value="yes">
<div class="actions"><button type="submit" class="button danger">${state.confirmLabel}</button><a class="button secondary" href="${state.cancelHref}">Cancel</a></div>
</form>
</div>`;
  return layout(page, state.title, body, "users");
}
