// The admin's API tokens: the section on a user's page and the page that shows a new token once.
import { html } from "hono/html";
import type { ApiTokenInfo } from "../../user/api-tokens/tokens.js";
import type { User } from "../../user/user-row.js";
import { csrfField, layout, notice, type Html, type Notice, type PageContext } from "./layout.js";

/** The user's tokens (ids only), or null when the admin has no `apiTokens` option. */
export type TokensView = { tokens: ApiTokenInfo[]; notice?: Notice } | null;

/** "API tokens": create one (your own, with your password), revoke any listed (yours, or anyone's as a superuser). */
export function tokensSection(page: PageContext, user: User, self: boolean, view: TokensView): Html | string {
  if (!view || (!self && page.actor?.superuser !== true)) return "";
  const base = `${page.mount}/users/${user.id}/tokens`;
  const list = view.tokens.length === 0
    ? html`<p id="tokens-state">No API tokens.</p>`
    : html`<ul id="tokens-state">${view.tokens.map(
        (token) => html`<li>Token ${token.id} <form method="post" action="${base}/${token.id}/revoke" class="inline">${csrfField(page)}<button type="submit" class="button secondary">Revoke token ${token.id}</button></form></li>`,
      )}</ul>`;
  const create = self
    ? html`<form method="post" action="${base}">${csrfField(page)}<div class="field"><label for="token-password">Your password</label><input type="password" id="token-password" name="password" autocomplete="current-password" required></div><div class="actions"><button type="submit" class="button secondary">Create an API token</button></div></form>`
    : "";
  return html`<section class="card" aria-labelledby="tokens-heading"><h2 id="tokens-heading">API tokens</h2>${notice(view.notice)}<p class="hint">Sent as <code>Authorization: Bearer &lt;token&gt;</code>.</p>${list}${create}</section>`;
}

export function newTokenPage(page: PageContext, token: string, continueHref: string): Html {
  const body = html`<div class="card narrow">
<h1>Your new API token</h1>
<p>Copy it now: it is shown only this once.</p>
<p><code id="new-token">${token}</code></p>
<p><a class="button" href="${continueHref}">Continue</a></p>
</div>`;
  return layout(page, "Your new API token", body);
}
