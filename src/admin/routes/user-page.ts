// The user's page as every form on it answers: the profile, its history, two-factor and API tokens.
// Its own module, so the routes of each part (user.ts, mfa.ts, tokens.ts) share it without importing each other.
import type { Context } from "hono";
import type { ApiTokens } from "../../user/api-tokens/tokens.js";
import type { User } from "../../user/user-row.js";
import type { AdminKit } from "../context.js";
import type { Notice } from "../views/layout.js";
import type { MfaView } from "../views/mfa.js";
import type { TokensView } from "../views/tokens.js";
import { userPage, type UserPageState } from "../views/user.js";
import { loadHistory } from "./history.js";

/** The user's page, with the state of whichever form came back. */
export async function showUser(
  kit: AdminKit,
  c: Context,
  user: User,
  state: Omit<UserPageState, "user" | "history" | "mfa" | "tokens"> = {},
  status: 200 | 400 | 409 = 200,
): Promise<Response> {
  const history = await loadHistory(kit, c, user);
  const mfa = await loadMfaView(kit, user, state.mfaNotice);
  const tokens = await loadTokensView(kit.apiTokens, user, state.tokensNotice);
  return c.html(userPage(kit.page(c), { ...state, user, history, mfa, tokens }), status);
}

/** The user page's two-factor view (null when the admin has no `mfa` option). */
export async function loadMfaView(kit: AdminKit, user: User, notice?: Notice): Promise<MfaView> {
  const mfa = kit.auth.mfa;
  if (!mfa) return null;
  return { status: await mfa.status(user.id), ...(notice ? { notice } : {}) };
}

/** The user page's API tokens view (null when the admin has no `apiTokens` option). */
export async function loadTokensView(tokens: ApiTokens | undefined, user: User, notice?: Notice): Promise<TokensView> {
  if (!tokens) return null;
  return { tokens: await tokens.list(user.id), ...(notice ? { notice } : {}) };
}

