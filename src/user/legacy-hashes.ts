import { createHash, pbkdf2, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { promisify } from "node:util";
import { compareBcrypt } from "./bcrypt-thread.js";

/**
 * Password formats of other systems that a login verifies once, then replaces with a Piccolo hash.
 * Each is told apart by its shape before any work is done; anything else is not one of them.
 * Cost parameters are bounded: a planted row must not make one login burn minutes of CPU or gigabytes.
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

const MAX_PBKDF2_ITERATIONS = 10_000_000;
const MAX_BCRYPT_COST = 15;
const MAX_ARGON2_MEMORY_KIB = 262_144; // 256 MiB (Django's default is 100 MiB)
const MAX_ARGON2_TIME = 16;
const MAX_ARGON2_LANES = 16;

// Django: PBKDF2 digest in standard base64 (32 bytes → 44 chars, 20 bytes → 28 chars), where Piccolo's is hex.
const DJANGO_PBKDF2 = /^pbkdf2_(sha256|sha1)\$([1-9][0-9]{0,7})\$([^$\s]{1,128})\$([A-Za-z0-9+/]{43}=|[A-Za-z0-9+/]{27}=)$/;
// Django: `argon2` followed by the argon2 PHC string (base64 without padding).
const DJANGO_ARGON2 =
  /^argon2(\$argon2(?:id|i)\$v=19\$m=([1-9][0-9]{0,9}),t=([1-9][0-9]{0,9}),p=([1-9][0-9]{0,2})\$[A-Za-z0-9+/]{11,64}\$[A-Za-z0-9+/]{16,128})$/;
const BCRYPT = /^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/;
// Django: bcrypt over the hex text of SHA-256(password).
const DJANGO_BCRYPT_SHA256 = /^bcrypt_sha256\$(\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53})$/;
// better-auth: `<salt>:<key>`, both lowercase hex; the salt's hex TEXT is scrypt's salt.
const BETTER_AUTH_SCRYPT = /^([0-9a-f]{32}):([0-9a-f]{128})$/;

const BETTER_AUTH_SCRYPT_PARAMS: ScryptOptions = { N: 16384, r: 16, p: 1, maxmem: 64 * 1024 * 1024 };
const BETTER_AUTH_KEY_LENGTH = 64;

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  password: string | Buffer,
  salt: string | Buffer,
  keylen: number,
  options: ScryptOptions,
) => Promise<Buffer>;

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
 * `stored` is no legacy format at all. Every comparison is constant-time: node:crypto's timingSafeEqual
 * here, the argon2 crate's and bcryptjs' own constant-time comparisons for those two. All the hashing
 * runs off the event loop (libuv's thread pool, or a worker thread for bcrypt). `BaseUser.login` calls
 * it for imported users and then stores a Piccolo hash.
 *
 * @example
 * ```ts
 * const ok = await verifyLegacyHash("s3cret", row.password); // true, false, or null (not a legacy hash)
 * ```
 */
export async function verifyLegacyHash(password: string, stored: unknown): Promise<boolean | null> {
  const format = identifyLegacyHash(stored);
  if (format === null) return null;
  const value = stored as string;
  switch (format) {
    case "django_pbkdf2_sha256":
    case "django_pbkdf2_sha1": {
      const [algorithm, iterations, salt, digest] = value.split("$") as [string, string, string, string];
      const expected = Buffer.from(digest, "base64");
      const hash = algorithm === "pbkdf2_sha256" ? "sha256" : "sha1";
      const key = await pbkdf2Async(Buffer.from(password, "utf8"), Buffer.from(salt, "utf8"), Number(iterations), expected.length, hash);
      return timingSafeEqual(key, expected);
    }
    case "django_argon2": {
      const { verify } = await import("@node-rs/argon2");
      try {
        return await verify(value.slice("argon2".length), password);
      } catch {
        return false; // a value of the right shape that the library still cannot decode
      }
    }
    case "django_bcrypt_sha256": {
      const digestHex = createHash("sha256").update(password, "utf8").digest("hex");
      return compareBcrypt(digestHex, value.slice("bcrypt_sha256$".length));
    }
    case "bcrypt":
      return compareBcrypt(password, value);
    case "better_auth_scrypt": {
      const [salt, keyHex] = value.split(":") as [string, string];
      const key = await scryptAsync(password.normalize("NFKC"), salt, BETTER_AUTH_KEY_LENGTH, BETTER_AUTH_SCRYPT_PARAMS);
      return timingSafeEqual(key, Buffer.from(keyHex, "hex"));
    }
  }
}
