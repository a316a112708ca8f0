import { html, raw } from "hono/html";
import type { Html } from "../../session/login-page.js";
import type { User } from "../../user/user-row.js";

/** Markup made by `hono/html`, the one HTML helper of the session pages and the admin's. */
export type { Html };

/** What every page needs. */
export interface PageContext {
  /** Where the admin is mounted (`""` at the root, `/admin` under /admin). */
  mount: string;
  siteTitle: string;
  csrfFieldName: string;
  csrfToken: string;
  /** The logged-in user, or null on the login page. */
  actor: User | null;
}

export interface Notice {
  kind: "success" | "error" | "info";
  text: string;
}

export function csrfField(page: PageContext): Html {
  return html`<input type="hidden" name="${page.csrfFieldName}" value="${page.csrfToken}">`;
}

export function yesNo(value: boolean): Html {
  return value ? html`<span class="yes">Yes</span>` : html`<span class="no">No</span>`;
}

export function formatDate(date: Date | null): Html {
  if (!date) return html`<span class="no">Never</span>`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace("T", " ")} UTC</time>`;
}

export function notice(message: Notice | undefined): Html | string {
  if (!message) return "";
  const role = message.kind === "error" ? "alert" : "status";
  return html`<div class="alert ${message.kind}" role="${role}"${message.kind === "error" ? raw(' tabindex="-1" id="form-error"') : ""}>${message.text}</div>`;
}

/** `aria-invalid` and the link to the error message, on the field the error is about. */
export function invalidIf(condition: boolean): Html | string {
  return condition ? raw(' aria-invalid="true" aria-describedby="form-error"') : "";
}

export function layout(page: PageContext, title: string, body: Html, current?: "users" | "password"): Html {
  const m = page.mount;
  const here = (name: string) => (current === name ? raw(' aria-current="page"') : "");
  const nav = page.actor
    ? html`<nav aria-label="Main">
<ul>
<li><a href="${m}/users"${here("users")}>Users</a></li>
<li><a href="${m}/password"${here("password")}>Change your password</a></li>
<li class="whoami">Logged in as <strong>${page.actor.username}</strong>${page.actor.superuser ? " (superuser)" : ""}</li>
<li><form method="post" action="${m}/logout">${csrfField(page)}<button type="submit" class="linkbutton">Log out</button></form></li>
</ul>
</nav>`
    : "";
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} · ${page.siteTitle}</title>
<link rel="stylesheet" href="${m}/admin.css">
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header class="topbar"><div class="topbar-inner">
<a class="brand" href="${m}/${page.actor ? "users" : "login"}">${page.siteTitle}</a>
${nav}
</div></header>
<main id="content" tabindex="-1">
${body}
</main>
</body>
</html>`;
}

export function errorPage(page: PageContext, title: string, message: string, link?: { href: string; text: string }): Html {
  const body = html`<div class="card narrow">
<h1>${title}</h1>
<p>${message}</p>
${link ? html`<p><a href="${link.href}">${link.text}</a></p>` : ""}
</div>`;
  return layout(page, title, body);
}
