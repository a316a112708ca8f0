import { html } from "hono/html";
import type { User } from "../../user/user-row.js";
import type { Change, HistoryAction, HistoryEntry } from "../history-store.js";
import { formatDate, type Html, type PageContext } from "./layout.js";

export interface HistoryView {
  entries: HistoryEntry[];
  page: number;
  pages: number;
  total: number;
}

const ACTIONS: Record<HistoryAction, string> = {
  created: "Created",
  profile: "Details changed",
  permissions: "Permissions changed",
  password: "Password changed",
  deleted: "Deleted",
  mfa_revoked: "Two-factor authentication turned off",
  passkey_removed: "Passkey removed",
};

const FIELD_LABELS: Record<string, string> = {
  username: "Username",
  email: "Email",
  first_name: "First name",
  last_name: "Last name",
  active: "Active",
  admin: "Admin",
  superuser: "Superuser",
};

function shown(value: Change["from"]): string {
  if (value === null) return "—";
  if (typeof value === "boolean") return value ? "Yes" : "No";
  return value === "" ? "(empty)" : value;
}

function changeList(entry: HistoryEntry): Html | string {
  // A password change is only ever "Password changed": no value, old or new, is kept.
  if (entry.changes.length === 0) return "";
  return html`<ul class="changes">${entry.changes.map(
    (change) => html`<li>${FIELD_LABELS[change.field] ?? change.field}: ${entry.action === "created" ? "" : html`${shown(change.from)} → `}${shown(change.to)}</li>`,
  )}</ul>`;
}

/** The user's history, newest first, a page at a time (`?history=N` on the user's page). */
export function historySection(page: PageContext, user: User, view: HistoryView): Html {
  const link = (target: number, label: string, rel: string) =>
    html`<li><a class="button secondary" rel="${rel}" href="${page.mount}/users/${user.id}?history=${target}#history-heading">${label}</a></li>`;
  const rows = view.entries.map(
    (entry) => html`<tr>
<td data-label="When">${formatDate(entry.at)}</td>
<td data-label="By">${entry.actorUsername}</td>
<td data-label="What">${ACTIONS[entry.action] ?? entry.action}</td>
<td class="wrap" data-label="Changes">${changeList(entry)}</td>
</tr>`,
  );
  const content =
    view.total === 0
      ? html`<p class="hint">No changes made in the admin yet.</p>`
      : html`<div class="table-wrap" role="region" aria-labelledby="history-heading" tabindex="0">
<table class="history stacking">
<thead><tr><th scope="col">When</th><th scope="col">By</th><th scope="col">What</th><th scope="col">Changes</th></tr></thead>
<tbody>${rows}</tbody>
</table>
</div>
${view.pages > 1
  ? html`<nav class="pagination" aria-label="History pages"><span>History page ${view.page} of ${view.pages}</span><ul>
${view.page > 1 ? link(view.page - 1, "Newer changes", "prev") : ""}
${view.page < view.pages ? link(view.page + 1, "Older changes", "next") : ""}
</ul></nav>`
  : ""}`;
  return html`<section class="history-section" aria-labelledby="history-heading">
<h2 id="history-heading">History</h2>
${content}
</section>`;
}
