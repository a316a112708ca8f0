import type { Context, Hono, MiddlewareHandler } from "hono";
import { ValidationError } from "../../errors.js";
import type { User } from "../../user/user-row.js";
import { deleteUser, setPermissions, type Outcome } from "../actions.js";
import { actorOf, badRequest, confirmed, field, fields, flash, knownFlash, parseUserId, positiveInteger, readForm, type AdminKit } from "../context.js";
import { flashQuery } from "../flash.js";
import { confirmPage } from "../views/forms.js";
import { FLAG_FILTERS, SORTABLE_COLUMNS, listUrl, usersPage, type FlagFilter, type ListQuery, type SortColumn } from "../views/list.js";

const MAX_SEARCH = 255;

/** The list's query string, read leniently: anything unknown falls back to the default. */
export function readListQuery(kit: AdminKit, c: Context): ListQuery {
  const sortParam = c.req.query("sort") ?? "username";
  const descending = sortParam.startsWith("-");
  const name = descending ? sortParam.slice(1) : sortParam;
  const known = SORTABLE_COLUMNS.some(([column]) => column === name);
  const filter: FlagFilter = {};
  for (const [flag] of FLAG_FILTERS) {
    const value = c.req.query(flag);
    if (value === "yes" || value === "no") filter[flag] = value === "yes";
  }
  if (!kit.auth.mfa) delete filter.mfa; // no authenticator_secret to look in
  const limit = positiveInteger(c.req.query("limit"), kit.pageSize);
  return {
    search: (c.req.query("q") ?? "").trim().slice(0, MAX_SEARCH),
    filter,
    sort: (known ? name : "username") as SortColumn,
    descending: known && descending,
    limit: kit.pageSizes.includes(limit) ? limit : kit.pageSize,
    page: positiveInteger(c.req.query("page"), 1),
  };
}

const BULK_ACTIONS = {
  activate: { label: "Activate", done: "activated_many" },
  deactivate: { label: "Deactivate", done: "deactivated_many" },
  delete: { label: "Delete", done: "deleted_many" },
} as const;
type BulkAction = keyof typeof BULK_ACTIONS;
const MAX_BULK = 100;

async function bulkApply(kit: AdminKit, actor: User, action: BulkAction, users: User[]): Promise<{ done: number; skipped: number }> {
  let done = 0;
  let skipped = 0;
  for (const user of users) {
    let outcome: Outcome;
    if (action === "delete") outcome = await deleteUser(kit, actor, user);
    else if (action === "deactivate" && user.id === actor.id) outcome = { ok: false, status: 400, message: "" };
    else {
      const flags = { active: action === "activate", admin: user.admin, superuser: user.superuser };
      if (flags.active === user.active) continue;
      outcome = await setPermissions(kit, actor, user, flags);
    }
    if (outcome.ok) done++;
    else skipped++;
  }
  return { done, skipped };
}

export function listRoutes(app: Hono, kit: AdminKit, guards: { loggedIn: MiddlewareHandler; superuserOnly: MiddlewareHandler }): void {
  app.get("/users", guards.loggedIn, async (c) => {
    if (!knownFlash(c)) return badRequest(kit, c, "This address is not one the admin makes.");
    const query = readListQuery(kit, c);
    const render = async (total: number, users: User[], pages: number, status: 200 | 400 = 200, error?: string) => {
      const mfa = kit.auth.mfa;
      const mfaEnrolled = mfa ? await mfa.enrolledAmong(users.map((user) => user.id)) : undefined;
      return c.html(
        usersPage(kit.page(c), {
          ...(mfaEnrolled ? { mfaEnrolled } : {}),
          ...query,
          users,
          total,
          pages,
          pageSizes: kit.pageSizes,
          defaultLimit: kit.pageSize,
          notice: error ? { kind: "error", text: error } : flash(c),
        }),
        status,
      );
    };
    let total: number;
    try {
      total = await kit.userClass.countUsers({ search: query.search, filter: query.filter });
    } catch (error) {
      // A search no stored name can contain (a NUL, a lone surrogate): the request is wrong, not the server.
      if (error instanceof ValidationError) return render(0, [], 1, 400, error.message);
      throw error;
    }
    const pages = Math.max(1, Math.ceil(total / query.limit));
    query.page = Math.min(query.page, pages);
    const users =
      total === 0
        ? []
        : await kit.userClass.listUsers({
            limit: query.limit,
            page: query.page,
            orderBy: `${query.descending ? "-" : ""}${query.sort}`,
            search: query.search,
            filter: query.filter,
          });
    return render(total, users, pages);
  });

  app.post("/users/bulk", guards.superuserOnly, async (c) => {
    const form = await readForm(c);
    if (!form) return badRequest(kit, c);
    const action = field(form, "action");
    if (!Object.hasOwn(BULK_ACTIONS, action)) return badRequest(kit, c, "Choose activate, deactivate or delete.");
    const ids = [...new Set(fields(form, "ids").map(parseUserId))].filter((id): id is number => id !== null);
    const mount = kit.mountOf(c);
    if (ids.length === 0) return badRequest(kit, c, "Select at least one user first.");
    if (ids.length > MAX_BULK) return badRequest(kit, c, `Select at most ${MAX_BULK} users at once.`);
    const found = await Promise.all(ids.map((id) => kit.userClass.getUser(id)));
    const users = found.filter((user): user is User => user !== null);
    const actor = actorOf(c);
    const chosen = action as BulkAction;
    if (!confirmed(form)) {
      const names = users.map((user) => user.username).join(", ");
      const self = users.some((user) => user.id === actor.id);
      return c.html(
        confirmPage(kit.page(c), {
          title: `${BULK_ACTIONS[chosen].label} ${users.length} user${users.length === 1 ? "" : "s"}?`,
          consequences:
            chosen === "delete"
              ? [`delete ${names}, with their sessions (they are logged out everywhere)`, "remove the users for good (the admin's history of their changes stays)"]
              : chosen === "activate"
                ? [`activate ${names}: they can log in again (those with the admin flag into this admin too)`]
                : [`deactivate ${names}: they are logged out everywhere and can no longer log in`],
          ...(self && chosen !== "activate" ? { warning: "You selected yourself: you are left out (you cannot deactivate or delete yourself here)." } : {}),
          action: `${mount}/users/bulk`,
          fields: [["action", chosen], ...users.map((user) => ["ids", String(user.id)] as const)],
          confirmLabel: `${BULK_ACTIONS[chosen].label} ${users.length === 1 ? "this user" : `these ${users.length} users`}`,
          cancelHref: `${mount}/users`,
        }),
      );
    }
    const { done, skipped } = await bulkApply(kit, actor, chosen, users);
    const query = flashQuery(c, BULK_ACTIONS[chosen].done, { count: done, skipped });
    return c.redirect(`${listUrl(mount, { search: "", filter: {}, sort: "username", descending: false, limit: kit.pageSize, page: 1 }, kit.pageSize)}${query}`, 303);
  });
}

