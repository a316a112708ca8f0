// TOTP as piccolo_api uses it (pyotp's defaults): SHA-1, 6 digits, 30-second steps, RFC 6238. Codes are
// made by `otpauth`; which step matched is decided here, so the replay guard can refuse older steps too.
import { randomInt } from "node:crypto";
import { HOTP, Secret } from "otpauth";

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of now: one (30 s of clock drift), never more. */
export const TOTP_DRIFT_STEPS = 1;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** piccolo_api's default issuer, shown by authenticator apps above the account. */
export const DEFAULT_MFA_ISSUER = "Piccolo-MFA";

/** A new secret as pyotp's `random_base32()` makes it: 32 characters of A–Z2–7 (160 bits). */
export function generateTotpSecret(): string {
  let secret = "";
  for (let i = 0; i < 32; i++) secret += BASE32[randomInt(BASE32.length)];
  return secret;
}

/** The 30-second step of a time (Unix milliseconds). */
export function totpCounter(atMs: number): number {
  return Math.floor(atMs / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code of `secret` (base32) at `counter`. */
export function totpCodeAt(secret: string, counter: number): string {
  return HOTP.generate({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: TOTP_DIGITS, counter });
}

/** The code shown by an authenticator app at `atMs` (default now). */
export function totpCode(secret: string, atMs = Date.now()): string {
  return totpCodeAt(secret, totpCounter(atMs));
}

/**
 * A typed code in the form compared: NFKC (full-width digits become digits, as pyotp does) without
 * spaces, which apps and people put in the middle ("123 456"). Null for anything that is not 6 digits.
 */
export function normalizeTotpCode(typed: unknown): string | null {
  if (typeof typed !== "string" || typed.length > 64) return null;
  const code = typed.normalize("NFKC").replace(/\s+/g, "");
  return /^\d{6}$/.test(code) ? code : null;
}

/**
 * The step whose code `code` (normalized) is, within ±1 step of `atMs`, or null. Every candidate is
 * computed, so the time taken does not say which one matched.
 */
export function matchTotpStep(secret: string, code: string, atMs = Date.now()): number | null {
  const now = totpCounter(atMs);
  let matched: number | null = null;
  for (let step = now - TOTP_DRIFT_STEPS; step <= now + TOTP_DRIFT_STEPS; step++) {
    if (constantTimeEquals(totpCodeAt(secret, step), code) && matched === null) matched = step;
  }
  return matched;
}

function constantTimeEquals(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** Python's `urllib.parse.quote`: only letters, digits and `_.-~` (and `safe`) stay as they are. */
function pythonQuote(text: string, safe = ""): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, safe.includes("/") ? "/" : "%2F");
}

/**
 * The `otpauth://` URI an authenticator app scans, exactly as piccolo_api builds it:
 * `otpauth://totp/<issuer>:<account>?secret=<secret>&issuer=<issuer>` (defaults left out).
 */
export function provisioningUri(secret: string, account: string, issuer = DEFAULT_MFA_ISSUER): string {
  return `otpauth://totp/${pythonQuote(issuer, "/")}:${pythonQuote(account, "/")}?secret=${pythonQuote(secret)}&issuer=${pythonQuote(issuer)}`;
}
