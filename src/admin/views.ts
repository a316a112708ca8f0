import { html, raw, type SafeHtml } from "../session/html.js";
import type { User } from "../user/user-row.js";

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

export const SORTABLE_COLUMNS = [
  ["username", "Username"],
  ["email", "Email"],
  ["first_name", "First name"],
  ["last_name", "Last name"],
  ["active", "Active"],
  ["admin", "Admin"],
  ["superuser", "Superuser"],
  ["last_login", "Last login"],
  ["id", "ID"],
] as const;

export type SortColumn = (typeof SORTABLE_COLUMNS)[number][0];

function csrfField(page: PageContext): SafeHtml {
  return html`<input type="hidden" name="${page.csrfFieldName}" value="${page.csrfToken}">`;
}

function yesNo(value: boolean): SafeHtml {
  return value ? html`<span class="yes">Yes</span>` : html`<span class="no">No</span>`;
}

export function formatDate(date: Date | null): SafeHtml {
  if (!date) return html`<span class="no">Never</span>`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace("T", " ")} UTC</time>`;
}

function notice(message: Notice | undefined): SafeHtml | string {
  if (!message) return "";
  const role = message.kind === "error" ? "alert" : "status";
  return html`<div class="alert ${message.kind}" role="${role}" ${message.kind === "error" ? raw('tabindex="-1" id="form-error"') : ""}>${message.text}</div>`;
}

export function layout(
  page: PageContext,
  title: string,
  body: SafeHtml,
  current?: "users" | "password",
): string {
  const m = page.mount;
  const nav = page.actor
    ? html`<nav aria-label="Main">
<ul>
<li><a href="${m}/users"${current === "users" ? raw(' aria-current="page"') : ""}>Users</a></li>
<li><a href="${m}/password"${current === "password" ? raw(' aria-current="page"') : ""}>Change your password</a></li>
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
</html>`.value;
}

// ----- login ---------------------------------------------------------------------------------------

export function loginPage(page: PageContext, state: { error?: string; username?: string; next?: string }): string {
  const body = html`<div class="card narrow">
<h1>Log in</h1>
<p class="hint">For active admin users only.</p>
${notice(state.error ? { kind: "error", text: state.error } : undefined)}
<form method="post" action="${page.mount}/login" novalidate>
${csrfField(page)}
${state.next ? html`<input type="hidden" name="next" value="${state.next}">` : ""}
<div class="field">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${state.username ?? ""}"${state.error ? "" : raw(" autofocus")}>
</div>
<div class="field">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${state.error ? raw(" autofocus") : ""}>
</div>
<button type="submit" class="button">Log in</button>
</form>
</div>`;
  return layout(page, "Log in", body);
}

// ----- users list ----------------------------------------------------------------------------------

export interface UsersListState {
  users: User[];
  total: number;
  page: number;
  pages: number;
  limit: number;
  sort: SortColumn;
  descending: boolean;
  search: string;
  notice?: Notice;
}

function listUrl(mount: string, state: { search: string; sort: string; page: number; limit: number }, defaultLimit: number): string {
  const params = new URLSearchParams();
  if (state.search) params.set("q", state.search);
  if (state.sort !== "username") params.set("sort", state.sort);
  if (state.limit !== defaultLimit) params.set("limit", String(state.limit));
  if (state.page > 1) params.set("page", String(state.page));
  const query = params.toString();
  return `${mount}/users${query ? `?${query}` : ""}`;
}

export function usersPage(page: PageContext, state: UsersListState, defaultLimit: number): string {
  const m = page.mount;
  const sortKey = (column: string) => (state.sort === column && !state.descending ? `-${column}` : column);
  const headers = SORTABLE_COLUMNS.map(([column, label]) => {
    const sorted = state.sort === column;
    const ariaSort = sorted ? (state.descending ? "descending" : "ascending") : undefined;
    const next = sortKey(column);
    const href = listUrl(m, { search: state.search, sort: next, page: 1, limit: state.limit }, defaultLimit);
    const how = next.startsWith("-") ? "descending" : "ascending";
    return html`<th scope="col"${ariaSort ? html` aria-sort="${ariaSort}"` : ""}><a href="${href}" aria-label="${label}: sort ${how}">${label}</a></th>`;
  });
  const rows = state.users.map(
    (user) => html`<tr>
<td><a href="${m}/users/${user.id}">${user.username}</a></td>
<td>${user.email}</td>
<td>${user.firstName ?? ""}</td>
<td>${user.lastName ?? ""}</td>
<td>${yesNo(user.active)}</td>
<td>${yesNo(user.admin)}</td>
<td>${yesNo(user.superuser)}</td>
<td>${formatDate(user.lastLogin)}</td>
<td>${user.id}</td>
</tr>`,
  );
  const current = state.sort === "username" && !state.descending ? "" : `${state.descending ? "-" : ""}${state.sort}`;
  const first = state.total === 0 ? 0 : (state.page - 1) * state.limit + 1;
  const last = Math.min(state.total, state.page * state.limit);
  const pageLink = (target: number, label: string, rel: string) =>
    html`<li><a class="button secondary" rel="${rel}" href="${listUrl(m, { search: state.search, sort: current || "username", page: target, limit: state.limit }, defaultLimit)}">${label}</a></li>`;
  const summary =
    state.total === 0
      ? state.search
        ? `No users match “${state.search}”.`
        : "No users yet."
      : `Users ${first} to ${last} of ${state.total}${state.search ? ` matching “${state.search}”` : ""}, sorted by ${
          SORTABLE_COLUMNS.find(([c]) => c === state.sort)?.[1] ?? state.sort
        } (${state.descending ? "descending" : "ascending"}).`;
  const body = html`<div class="toolbar">
<h1>Users</h1>
${page.actor?.superuser ? html`<a class="button" href="${m}/users/new">Add a user</a>` : ""}
</div>
${notice(state.notice)}
<form class="search" method="get" action="${m}/users" role="search">
<div class="field">
<label for="q">Search users</label>
<input type="search" id="q" name="q" value="${state.search}" placeholder="Username, email or name">
</div>
${current ? html`<input type="hidden" name="sort" value="${current}">` : ""}
${state.limit !== defaultLimit ? html`<input type="hidden" name="limit" value="${state.limit}">` : ""}
<button type="submit" class="button secondary">Search</button>
${state.search ? html`<a href="${listUrl(m, { search: "", sort: current || "username", page: 1, limit: state.limit }, defaultLimit)}">Clear search</a>` : ""}
</form>
<p id="users-summary" role="status">${summary}</p>
<div class="table-wrap" role="region" aria-labelledby="users-caption" tabindex="0">
<table>
<caption id="users-caption">Users (select a column heading to sort)</caption>
<thead><tr>${headers}</tr></thead>
<tbody>${rows}</tbody>
</table>
</div>
<nav class="pagination" aria-label="Pages">
<span>Page ${state.page} of ${state.pages}</span>
<ul>
${state.page > 1 ? pageLink(state.page - 1, "Previous page", "prev") : ""}
${state.page < state.pages ? pageLink(state.page + 1, "Next page", "next") : ""}
</ul>
</nav>`;
  return layout(page, "Users", body, "users");
}

// ----- one user ------------------------------------------------------------------------------------

export interface UserPageState {
  user: User;
  notice?: Notice;
  /** Which form the notice belongs to, so it shows next to it. */
  form?: "permissions" | "password" | "deactivate";
}

export function userPage(page: PageContext, state: UserPageState): string {
  const m = page.mount;
  const { user } = state;
  const actor = page.actor!;
  const self = actor.id === user.id;
  const at = (form: UserPageState["form"]) => (state.form === form ? notice(state.notice) : "");
  const details = html`<section class="card" aria-labelledby="details-heading">
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
  const check = (name: "active" | "admin" | "superuser", label: string, hint: string) =>
    html`<div class="check"><input type="checkbox" id="flag-${name}" name="${name}" value="on"${user[name] ? raw(" checked") : ""} aria-describedby="flag-${name}-hint"><div><label for="flag-${name}">${label}</label><p class="hint" id="flag-${name}-hint">${hint}</p></div></div>`;
  const permissions = html`<section class="card" aria-labelledby="permissions-heading">
<h2 id="permissions-heading">Permissions</h2>
${at("permissions")}
<form method="post" action="${m}/users/${user.id}/permissions">
${csrfField(page)}
<fieldset>
<legend>Flags of ${user.username}</legend>
${check("active", "Active", "May log in at all.")}
${check("admin", "Admin", "May log into this admin (when also active).")}
${check("superuser", "Superuser", "May change other users, their passwords and flags.")}
</fieldset>
<button type="submit" class="button">Save permissions</button>
</form>
</section>`;
  const password = html`<section class="card" aria-labelledby="password-heading">
<h2 id="password-heading">Set a new password</h2>
${at("password")}
<p class="hint">This logs ${user.username} out everywhere.</p>
<form method="post" action="${m}/users/${user.id}/password" novalidate>
${csrfField(page)}
<div class="field">
<label for="new_password">New password</label>
<input type="password" id="new_password" name="new_password" autocomplete="new-password" required>
</div>
<div class="field">
<label for="confirm_password">Confirm the new password</label>
<input type="password" id="confirm_password" name="confirm_password" autocomplete="new-password" required>
</div>
<button type="submit" class="button">Set password</button>
</form>
</section>`;
  const deactivate = user.active
    ? html`<section class="card" aria-labelledby="deactivate-heading">
<h2 id="deactivate-heading">Deactivate</h2>
${at("deactivate")}
<p class="hint">${user.username} will be logged out and can no longer log in. You can activate them again under Permissions.</p>
<form method="post" action="${m}/users/${user.id}/deactivate">
${csrfField(page)}
<button type="submit" class="button danger">Deactivate ${user.username}</button>
</form>
</section>`
    : "";
  let actions: SafeHtml | string;
  if (actor.superuser) {
    actions = html`<div class="grid">${permissions}${self ? "" : password}${deactivate}</div>${
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
${details}
${actions}`;
  return layout(page, user.username, body, "users");
}

// ----- creating a user -----------------------------------------------------------------------------

export interface NewUserState {
  values: { username: string; email: string; first_name: string; last_name: string; active: boolean; admin: boolean; superuser: boolean };
  error?: string;
  field?: string;
}

export function newUserPage(page: PageContext, state: NewUserState): string {
  const m = page.mount;
  const v = state.values;
  const invalid = (name: string) => (state.field === name ? raw(' aria-invalid="true" aria-describedby="form-error"') : "");
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
<button type="submit" class="button">Create user</button>
</form>
</div>`;
  return layout(page, "Add a user", body, "users");
}

// ----- own password --------------------------------------------------------------------------------

export function passwordPage(page: PageContext, state: { notice?: Notice; field?: string }): string {
  const invalid = (name: string) => (state.field === name ? raw(' aria-invalid="true" aria-describedby="form-error"') : "");
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
<button type="submit" class="button">Change password</button>
</form>
</div>`;
  return layout(page, "Change your password", body, "password");
}

// ----- errors --------------------------------------------------------------------------------------

export function errorPage(page: PageContext, title: string, message: string, link?: { href: string; text: string }): string {
  const body = html`<div class="card narrow">
<h1>${title}</h1>
<p>${message}</p>
${link ? html`<p><a href="${link.href}">${link.text}</a></p>` : ""}
</div>`;
  return layout(page, title, body);
}
