import type { Context } from "hono";
import type { User } from "../../user/user-row.js";
import { positiveInteger, type AdminKit } from "../context.js";
import type { HistoryView } from "../views/history.js";

export const HISTORY_PAGE_SIZE = 10;

/** The page of the user's history that `?history=N` names (newest first), clamped to the pages there are. */
export async function loadHistory(kit: AdminKit, c: Context, user: User): Promise<HistoryView> {
  const total = await kit.history.countFor(user.id);
  const pages = Math.max(1, Math.ceil(total / HISTORY_PAGE_SIZE));
  const page = Math.min(positiveInteger(c.req.query("history"), 1), pages);
  const entries = total === 0 ? [] : await kit.history.listFor(user.id, page, HISTORY_PAGE_SIZE);
  return { entries, page, pages, total };
}
