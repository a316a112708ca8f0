// What a login answers and the narrow pieces its steps take (login.ts, mfa-step.ts): each step names
// only what it uses, so none of them depends on SessionAuth, which composes them.
import type { Context } from "hono";
import type { BaseUser } from "../user/base-user.js";
import type { MfaAuthenticator, PendingEnrollment } from "../user/mfa/authenticator.js";
import type { User } from "../user/user-row.js";
import type { SessionCookies } from "./cookies.js";
import type { LoginRateLimiter } from "./rate-limit.js";

/**
 * What `SessionAuth.login` answers: the user, or the status and message to show (with the seconds to wait for 429 and 503).
 */
export type LoginResult =
  | { ok: true; user: User; /** New recovery codes, when the login enrolled the user (`requireMfa`): show them once. */ recoveryCodes?: string[] }
  | {
      ok: false;
      status: 401 | 429 | 503;
      message: string;
      retryAfter?: number;
      /** The two-factor step that stopped the login (mfa-step.ts): a code is needed, was wrong, enrollment is needed, or the step expired. */
      mfa?: "required" | "failed" | "enroll" | "expired" | "unavailable";
      /** With `mfa: "enroll"`: the QR code and secret to show. */
      enrollment?: PendingEnrollment;
    };

/** Who must use two-factor authentication: `"superusers"`, `"admins"` (admins and superusers) or `"all"`. */
export type RequireMfa = "superusers" | "admins" | "all";

/** What a password check needs: the users, the rate limit, who may log in, and the client's address. */
export interface LoginGate {
  readonly userClass: typeof BaseUser;
  readonly rateLimiter: LoginRateLimiter | null;
  allows(user: User | null): user is User;
  clientAddress(c: Context): string;
}

/** Ending a browser's sessions and starting a new one. */
export interface SessionSwitch {
  startSession(c: Context, userId: number): Promise<string>;
  endSession(c: Context): Promise<void>;
}

/** What the second step of a login needs besides the gate: the authenticator, the policy, the cookies. */
export interface MfaStepParts extends LoginGate, SessionSwitch {
  readonly mfa: MfaAuthenticator | undefined;
  readonly requireMfa: RequireMfa | undefined;
  readonly cookies: SessionCookies;
}
