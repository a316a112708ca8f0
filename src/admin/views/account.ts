import { html, raw } from "hono/html";
import { csrfField, invalidIf, layout, notice, type Html, type Notice, type PageContext } from "./layout.js";

export function loginPage(page: PageContext, state: { error?: string; username?: string; next?: string; label?: string; extra?: Html }): Html {
  const body = html`<div class="card narrow">
<h1>Log in</h1>
<p class="hint">For active admin users only.</p>
${notice(state.error ? { kind: "error", text: state.error } : undefined)}
<form method="post" action="${page.mount}/login" novalidate>
${csrfField(page)}
${state.next ? html`<input type="hidden" name="next" value="${state.next}">` : ""}
<div class="field">
<label for="username">${state.label ?? "Username"}</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${state.username ?? ""}"${state.error ? "" : raw(" autofocus")}>
</div>
<div class="field">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${state.error ? raw(" autofocus") : ""}>
</div>
<button type="submit" class="button">Log in</button>
</form>
</div>${state.extra ?? ""}`;
  return layout(page, "Log in", body);
}

export function passwordPage(page: PageContext, state: { notice?: Notice; field?: string }): Html {
  const invalid = (name: string) => invalidIf(state.field === name);
  const body = html`<div class="card narrow">
<h1>Change your password</h1>
${notice(state.notice)}
<form method="post" action="${page.mount}/password" novalidate>
${csrfField(page)}
<input type="text" name="username" value="${page.actor?.username ?? ""}" autocomplete="username" hidden>
<div class="field"><label for="current_password">Current password</label><input type="password" id="current_password" name="current_password" autocomplete="current-password" required${invalid("current_password")}></div>
<div class="field"><label for="new_password">New password</label><input type="password" id="new_password" name="new_password" autocomplete="new-password" required${invalid("new_password")}></div>
<div class="field"><label for="confirm_password">Confirm the new password</label><input type="password" id="confirm_password" name="confirm_password" autocomplete="new-password" required${invalid("confirm_password")}></div>
<p class="hint">Your other sessions are logged out; this one stays logged in.</p>
<div class="actions"><button type="submit" class="button">Change password</button></div>
</form>
</div>`;
  return layout(page, "Change your password", body, "password");
}
