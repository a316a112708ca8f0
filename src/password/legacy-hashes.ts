import { createHash } from "node:crypto";
import { verifyLegacyOnPool } from "./hash-pool.js";

/**
 * Password formats of other systems that a login verifies once, then replaces with a Piccolo hash.
 * Each is told apart by its shape before any work is done; anything else is not one of them.
 * Cost parameters are bounded by what the source systems use: a planted row must not make one login
 * burn seconds of CPU or hundreds of megabytes.
 */
export type LegacyHashFormat =
  | "django_pbkdf2_sha256"
  | "django_pbkdf2_sha1"
  | "django_argon2"
  | "django_bcrypt_sha256"
  | "bcrypt"
  | "better_auth_scrypt";

/**
 * How `piccolo user check` and the import report name each format: for messages of your own.
 *
 * @example
 * ```ts
 * const format = identifyLegacyHash(stored);
 * if (format) console.log(`imported from ${LEGACY_FORMAT_NAMES[format]}`); // e.g. "Django pbkdf2_sha256"
 * ```
 */
export const LEGACY_FORMAT_NAMES: Record<LegacyHashFormat, string> = {
  django_pbkdf2_sha256: "Django pbkdf2_sha256",
  django_pbkdf2_sha1: "Django pbkdf2_sha1",
  django_argon2: "Django argon2",
  django_bcrypt_sha256: "Django bcrypt_sha256",
  bcrypt: "bcrypt",
  better_auth_scrypt: "better-auth scrypt",
};

/**
 * The highest costs an imported hash may have; a stored value above them is not recognised (the user
 * cannot log in until given a new password, and `piccolo user check` reports the row as malformed).
 * They are the source systems' own defaults: Django 6.0's PBKDF2 count (1 200 000), Django's
 * Argon2PasswordHasher (memory 102 400 KiB, time 2, parallelism 8) with time up to 4, and bcrypt cost 12
 * (Django's BCryptSHA256PasswordHasher, Laravel, Devise). Each check runs on one hash pool thread.
 */
export const LEGACY_COST_CAPS = {
  pbkdf2Iterations: 1_200_000,
  bcryptCost: 12,
  argon2MemoryKiB: 102_400,
  argon2Time: 4,
  argon2Lanes: 8,
} as const;
const MAX_PBKDF2_ITERATIONS = LEGACY_COST_CAPS.pbkdf2Iterations;
const MAX_BCRYPT_COST = LEGACY_COST_CAPS.bcryptCost;
const MAX_ARGON2_MEMORY_KIB = LEGACY_COST_CAPS.argon2MemoryKiB;
const MAX_ARGON2_TIME = LEGACY_COST_CAPS.argon2Time;
const MAX_ARGON2_LANES = LEGACY_COST_CAPS.argon2Lanes;
/** bcrypt reads at most this many bytes of a password and ignores the rest. */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;

// Django: PBKDF2 digest in standard base64 (32 bytes → 44 chars, 20 bytes → 28 chars), where Piccolo's is hex.
const DJANGO_PBKDF2 = /^pbkdf2_(sha256|sha1)\$([1-9][0-9]{0,7})\$([^$\s]{1,128})\$([A-Za-z0-9+/]{43}=|[A-Za-z0-9+/]{27}=)$/;
// Django: `argon2` followed by the argon2 PHC string (base64 without padding).
const DJANGO_ARGON2 =
  /^argon2(\$argon2(?:id|i)\$v=19\$m=([1-9][0-9]{0,9}),t=([1-9][0-9]{0,9}),p=([1-9][0-9]{0,2})\$[A-Za-z0-9+/]{11,64}\$[A-Za-z0-9+/]{16,128})$/;
const BCRYPT = /^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/;
// Django: bcrypt over the hex text of SHA-256(password).
const DJANGO_BCRYPT_SHA256 = /^bcrypt_sha256\$(\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53})$/;
// better-auth: `<salt>:<key>`, both lowercase hex; the salt's hex TEXT is scrypt's salt.
export const BETTER_AUTH_SCRYPT = /^([0-9a-f]{32}):([0-9a-f]{128})$/;

/**
 * The legacy format `stored` has, or null when it is not one (a Piccolo hash is not a legacy one).
 * Tells apart by shape only, without hashing: to check an export before `importUsers`.
 *
 * @example
 * ```ts
 * identifyLegacyHash("$2b$12$" + "a".repeat(53)); // "bcrypt"
 * identifyLegacyHash(await hashPassword("s3cret")); // null: a Piccolo hash
 * ```
 */
export function identifyLegacyHash(stored: unknown): LegacyHashFormat | null {
  if (typeof stored !== "string" || stored.length > 300) return null;
  let match = DJANGO_PBKDF2.exec(stored);
  if (match) {
    const digestLength = match[1] === "sha256" ? 44 : 28;
    if (match[4]!.length !== digestLength || Number(match[2]) > MAX_PBKDF2_ITERATIONS) return null;
    return match[1] === "sha256" ? "django_pbkdf2_sha256" : "django_pbkdf2_sha1";
  }
  match = DJANGO_ARGON2.exec(stored);
  if (match) {
    const [memory, time, lanes] = [Number(match[2]), Number(match[3]), Number(match[4])];
    const bounded = memory <= MAX_ARGON2_MEMORY_KIB && memory >= 8 * lanes && time <= MAX_ARGON2_TIME && lanes <= MAX_ARGON2_LANES;
    return bounded ? "django_argon2" : null;
  }
  match = DJANGO_BCRYPT_SHA256.exec(stored);
  if (match) return bcryptCostAllowed(match[2]!) ? "django_bcrypt_sha256" : null;
  match = BCRYPT.exec(stored);
  if (match) return bcryptCostAllowed(match[1]!) ? "bcrypt" : null;
  if (BETTER_AUTH_SCRYPT.test(stored)) return "better_auth_scrypt";
  return null;
}

function bcryptCostAllowed(cost: string): boolean {
  const value = Number(cost);
  return value >= 4 && value <= MAX_BCRYPT_COST;
}

/**
 * True when `password` matches a stored value of a legacy format, false when it does not, null when
 * `stored` is no legacy format at all. Every comparison is constant-time (node:crypto's timingSafeEqual,
 * the argon2 crate's and bcryptjs' own). The check runs on the hash pool (hash-pool.ts), queued and
 * bounded like a Piccolo hash: it rejects with BusyError at once when the queue is full, and never takes
 * a thread of libuv's pool. `BaseUser.login` calls it for imported users and then stores a Piccolo hash.
 *
 * @example
 * ```ts
 * const ok = await verifyLegacyHash("s3cret", row.password); // true, false, or null (not a legacy hash)
 * ```
 */
export async function verifyLegacyHash(password: string, stored: unknown): Promise<boolean | null> {
  const format = identifyLegacyHash(stored);
  if (format === null) return null;
  // What each format feeds its hash: Django's bcrypt_sha256 the SHA-256 hex, better-auth the NFKC form.
  const input =
    format === "django_bcrypt_sha256"
      ? createHash("sha256").update(password, "utf8").digest("hex")
      : format === "better_auth_scrypt"
        ? password.normalize("NFKC")
        : password;
  return verifyLegacyOnPool(Buffer.from(input, "utf8"), stored as string);
}

/**
 * True when a login with `password` against `stored` cannot tell the password typed from others: a plain
 * bcrypt hash reads only the first 72 bytes, so any password sharing them matches. Such a login is
 * accepted (as the old system accepted it) but its hash is never replaced from that input.
 */
export function isTruncatedByBcrypt(password: string, stored: unknown): boolean {
  return identifyLegacyHash(stored) === "bcrypt" && Buffer.byteLength(password, "utf8") > BCRYPT_MAX_PASSWORD_BYTES;
}
