// Recovery codes as piccolo_api makes and stores them: 12 characters of a–z0–9 split by a hyphen
// (`a60bnf-m552sj`), 8 per enrollment, stored as Piccolo password hashes (PBKDF2-SHA256, 600 000
// iterations) that share one salt per enrollment, so a typed code costs one hash whichever it is.
import { randomInt, timingSafeEqual } from "node:crypto";
import { DEFAULT_ITERATIONS, generateSalt, hashPassword, parseStoredHash } from "../../password/hasher.js";

export const RECOVERY_CODE_COUNT = 8;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const HALF = 6;

/** `count` new codes, in the form shown to the user. */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const one = () => Array.from({ length: HALF * 2 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
  return Array.from({ length: count }, () => {
    const code = one();
    return `${code.slice(0, HALF)}-${code.slice(HALF)}`;
  });
}

/**
 * The stored hashes of `codes`, with one salt for all (piccolo_api's layout), hashed on the bounded hash
 * pool one after another (BusyError when its queue is full).
 */
export async function hashRecoveryCodes(codes: readonly string[], salt = generateSalt(), iterations = DEFAULT_ITERATIONS): Promise<string[]> {
  const hashes: string[] = [];
  for (const code of codes) hashes.push(await hashPassword(code, iterations, salt));
  return hashes;
}

/**
 * A typed recovery code in its stored form (lower case, hyphen after six), or null when it cannot be
 * one. piccolo_api compares the text exactly; forgiving case, spaces and a missing hyphen here yields
 * the same hash input, so codes made by either tool work in both.
 */
export function normalizeRecoveryCode(typed: unknown): string | null {
  if (typeof typed !== "string" || typed.length > 64) return null;
  const compact = typed.normalize("NFKC").toLowerCase().replace(/[\s-]+/g, "");
  return /^[a-z0-9]{12}$/.test(compact) ? `${compact.slice(0, HALF)}-${compact.slice(HALF)}` : null;
}

/**
 * Which stored hash `code` (normalized) matches, or -1. One hash with the salt and iterations of the
 * first entry (as piccolo_api does), then a constant-time comparison with every entry.
 */
export async function matchRecoveryCode(code: string, stored: readonly string[]): Promise<number> {
  const first = parseStoredHash(stored[0]);
  if (!first) return -1;
  const candidate = parseStoredHash(await hashPassword(code, first.iterations, first.salt))!.key;
  let matched = -1;
  stored.forEach((entry, index) => {
    const parsed = parseStoredHash(entry);
    if (parsed && parsed.salt === first.salt && timingSafeEqual(parsed.key, candidate) && matched < 0) matched = index;
  });
  return matched;
}
