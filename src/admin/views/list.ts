import { html, raw } from "hono/html";
import type { User } from "../../user/user-row.js";
import { csrfField, formatDate, layout, notice, yesNo, type Html, type Notice, type PageContext } from "./layout.js";

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

export const FLAG_FILTERS = [
  ["active", "Active"],
  ["admin", "Admin"],
  ["superuser", "Superuser"],
  // Offered only when the admin has the mfa option (see filterControls and readListQuery).
  ["mfa", "Two-factor"],
] as const;
export type FlagFilter = Partial<Record<(typeof FLAG_FILTERS)[number][0], boolean>>;

/** Everything the list's URL carries: search, filters, sort, page size, page. */
export interface ListQuery {
  search: string;
  filter: FlagFilter;
  sort: SortColumn;
  descending: boolean;
  limit: number;
  page: number;
}

export interface UsersListState extends ListQuery {
  users: User[];
  total: number;
  pages: number;
  pageSizes: readonly number[];
  defaultLimit: number;
  notice?: Notice;
  /** The listed users with two-factor authentication on; absent when the admin has no `mfa` option. */
  mfaEnrolled?: ReadonlySet<number>;
}

/** The list's address for a query (defaults left out, so links stay short). */
export function listUrl(mount: string, query: ListQuery, defaultLimit: number): string {
  const params = new URLSearchParams();
  if (query.search) params.set("q", query.search);
  if (query.sort !== "username" || query.descending) params.set("sort", `${query.descending ? "-" : ""}${query.sort}`);
  for (const [name] of FLAG_FILTERS) {
    const value = query.filter[name];
    if (value !== undefined) params.set(name, value ? "yes" : "no");
  }
  if (query.limit !== defaultLimit) params.set("limit", String(query.limit));
  if (query.page > 1) params.set("page", String(query.page));
  const text = params.toString();
  return `${mount}/users${text ? `?${text}` : ""}`;
}

function describeFilters(filter: FlagFilter): string {
  return FLAG_FILTERS.filter(([name]) => filter[name] !== undefined)
    .map(([name, label]) => `${filter[name] ? "" : "not "}${label.toLowerCase()}`)
    .join(", ");
}

function filterControls(state: UsersListState): Html[] {
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? raw(" selected") : ""}>${label}</option>`;
  const selects = FLAG_FILTERS.filter(([name]) => name !== "mfa" || state.mfaEnrolled).map(([name, label]) => {
    const value = state.filter[name];
    return html`<div class="field small"><label for="filter-${name}">${label}</label><select id="filter-${name}" name="${name}">${option("", "Any", value === undefined)}${option("yes", "Yes", value === true)}${option("no", "No", value === false)}</select></div>`;
  });
  const sizes = state.pageSizes.map((size) => option(String(size), String(size), size === state.limit));
  selects.push(html`<div class="field small"><label for="limit">Per page</label><select id="limit" name="limit">${sizes}</select></div>`);
  return selects;
}

export function usersPage(page: PageContext, state: UsersListState): Html {
  const m = page.mount;
  const url = (changes: Partial<ListQuery>) => listUrl(m, { ...state, ...changes }, state.defaultLimit);
  const bulk = page.actor?.superuser === true;
  const headers = SORTABLE_COLUMNS.map(([column, label]) => {
    const sorted = state.sort === column;
    const ariaSort = sorted ? (state.descending ? "descending" : "ascending") : undefined;
    const nextDescending = sorted && !state.descending;
    const how = nextDescending ? "descending" : "ascending";
    return html`<th scope="col"${ariaSort ? html` aria-sort="${ariaSort}"` : ""}><a href="${url({ sort: column, descending: nextDescending, page: 1 })}" aria-label="${label}: sort ${how}">${label}</a></th>`;
  });
  // Each cell names its column (data-label): on a phone the rows stack into cards (styles.ts), the flags
  // right under the username, and the labels stand in for the header row.
  const rows = state.users.map(
    (user) => html`<tr>
${bulk ? html`<td class="select"><input type="checkbox" name="ids" value="${user.id}" id="select-${user.id}" aria-label="Select ${user.username}"></td>` : ""}<td class="username" data-label="Username"><a href="${m}/users/${user.id}">${user.username}</a></td>
<td class="detail" data-label="Email">${user.email}</td>
<td class="detail" data-label="First name">${user.firstName ?? ""}</td>
<td class="detail" data-label="Last name">${user.lastName ?? ""}</td>
<td class="flag" data-label="Active">${yesNo(user.active)}</td>
<td class="flag" data-label="Admin">${yesNo(user.admin)}</td>
<td class="flag" data-label="Superuser">${yesNo(user.superuser)}</td>
${state.mfaEnrolled ? html`<td class="flag" data-label="2FA">${yesNo(state.mfaEnrolled.has(user.id))}</td>` : ""}
<td class="detail" data-label="Last login">${formatDate(user.lastLogin)}</td>
<td class="detail" data-label="ID">${user.id}</td>
</tr>`,
  );
  const filters = describeFilters(state.filter);
  const narrowed = state.search !== "" || filters !== "";
  const matching = `${state.search ? ` matching “${state.search}”` : ""}${filters ? ` (${filters})` : ""}`;
  const first = (state.page - 1) * state.limit + 1;
  const last = Math.min(state.total, state.page * state.limit);
  const sortLabel = SORTABLE_COLUMNS.find(([c]) => c === state.sort)?.[1] ?? state.sort;
  const summary = `Users ${first} to ${last} of ${state.total}${matching}, sorted by ${sortLabel} (${state.descending ? "descending" : "ascending"}).`;
  const clear = url({ search: "", filter: {}, page: 1 });
  const pageLink = (target: number, label: string, rel: string) =>
    html`<li><a class="button secondary" rel="${rel}" href="${url({ page: target })}">${label}</a></li>`;

  const table = html`<div class="table-wrap" role="region" aria-labelledby="users-caption" tabindex="0">
<table class="users stacking">
<caption id="users-caption">Users (select a column heading to sort)</caption>
<thead><tr>${bulk ? html`<th scope="col"><span class="visually-hidden">Select</span></th>` : ""}${state.mfaEnrolled ? [...headers.slice(0, 7), html`<th scope="col"><abbr title="Two-factor authentication">2FA</abbr></th>`, ...headers.slice(7)] : headers}</tr></thead>
<tbody>${rows}</tbody>
</table>
</div>`;
  const results =
    state.total === 0
      ? html`<div class="card empty" role="status">
<p>${state.search ? `No users match “${state.search}”${filters ? ` (${filters})` : ""}.` : narrowed ? `No users match the filters (${filters}).` : "No users yet."}</p>
${narrowed ? html`<p><a href="${clear}">Clear the search and filters</a></p>` : ""}
</div>`
      : html`<p id="users-summary" role="status">${summary}</p>
${bulk ? html`<form method="post" action="${m}/users/bulk" class="bulk">${csrfField(page)}<div class="bulk-bar"><label for="bulk-action">With the selected users</label><select id="bulk-action" name="action" required><option value="" selected>Choose an action</option><option value="activate">Activate</option><option value="deactivate">Deactivate</option><option value="delete">Delete</option></select><button type="submit" class="button secondary">Apply</button></div>${table}</form>` : table}
<nav class="pagination" aria-label="Pages">
<span>Page ${state.page} of ${state.pages}</span>
<ul>
${state.page > 1 ? pageLink(state.page - 1, "Previous page", "prev") : ""}
${state.page < state.pages ? pageLink(state.page + 1, "Next page", "next") : ""}
</ul>
</nav>`;

  const body = html`<div class="toolbar">
<h1>Users</h1>
${page.actor?.superuser ? html`<a class="button" href="${m}/users/new">Add a user</a>` : ""}
</div>
${notice(state.notice)}
<form class="search" method="get" action="${m}/users" role="search">
<div class="field grow">
<label for="q">Search users</label>
<input type="search" id="q" name="q" value="${state.search}" placeholder="Username, email or name">
</div>
${filterControls(state)}
${state.sort !== "username" || state.descending ? html`<input type="hidden" name="sort" value="${`${state.descending ? "-" : ""}${state.sort}`}">` : ""}
<button type="submit" class="button secondary">Search</button>
${narrowed ? html`<a href="${clear}">Clear</a>` : ""}
</form>
${results}`;
  return layout(page, "Users", body, "users");
}
