// The passkey as the second factor: after a right password, a user with a passkey is asked for it (or,
// when also enrolled, for a TOTP code) before any session exists. The pending state is the challenge
// row itself, bound to the user: only an assertion by one of that user's passkeys takes it.
import type { Context } from "hono";
import type { User } from "../user/user-row.js";
import type { PasskeyCeremonies } from "./passkey-ceremony.js";

/** piccolo_api has no passkeys: its UI sees a 401 with this detail. */
export const PASSKEY_REQUIRED = "Passkey required";

/**
 * The passkey step's refusal when it applies to this user (passkeys as second factor on, a passkey
 * registered), else null. A TOTP code sent with the password skips it only for a user enrolled in TOTP
 * (whose code the TOTP step then checks): for anyone else a code cannot stand in for the passkey.
 */
export async function passkeySecondStep(passkeys: PasskeyCeremonies | null, c: Context, user: User, totpEnrolled: () => Promise<boolean>, codeSent: boolean) {
  if (!passkeys?.secondFactor) return null;
  if ((await passkeys.credentials.list(user.id)).length === 0) return null;
  const codeAlso = await totpEnrolled();
  if (codeSent && codeAlso) return null;
  const options = await passkeys.authenticationOptions(c, user.id);
  return { ok: false as const, status: 401 as const, message: PASSKEY_REQUIRED, mfa: "passkey" as const, passkey: { options, codeAlso } };
}
