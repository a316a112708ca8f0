// The key the login rate limit counts an account under: every spelling and identifier of one account
// (case, email, Unicode variants) is one key, so together they get the account's limits once.
import type { BaseUser } from "../user/base-user.js";
import { findLoginUserId } from "../user/login-identity.js";
import { foldUsername } from "../user/username-folding.js";

/**
 * `user:<id>` when the identifier names a user (whichever way: username in any case the class accepts,
 * email), else `name:<folded identifier>`, so an unknown name's spellings share one key too. The lookup
 * is one query whether or not the user exists, done before any hash. Pass it to `LoginRateLimiter.begin`
 * around a login of your own, as the session layer does.
 *
 * @example
 * ```ts
 * const decision = await limiter.begin(await accountLimitKey(BaseUser, "Bob@Example.com"), clientAddress);
 * ```
 */
export async function accountLimitKey(userClass: typeof BaseUser, identifier: string): Promise<string> {
  const id = await findLoginUserId(userClass, identifier);
  return id !== null ? userLimitKey(id) : nameLimitKey(identifier);
}

/** The key of an identifier that names no account: its spellings share it too. */
export function nameLimitKey(identifier: string): string {
  return `name:${foldUsername(identifier)}`;
}

/** The key of a known account (a second-factor step, whose user is already known, counts under it too). */
export function userLimitKey(userId: number): string {
  return `user:${userId}`;
}
