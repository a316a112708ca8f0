// What a login does with the stored password value: Piccolo's own hash, or a format imported from
// another system (legacy-hashes.ts), which a successful login replaces with a Piccolo hash.
import { burnOneHash, parseStoredHash, verifyPassword } from "./hasher.js";
import { LEGACY_FORMAT_NAMES, identifyLegacyHash, verifyLegacyHash } from "./legacy-hashes.js";

export interface StoredPasswordVerdict {
  /** `malformed`: neither Piccolo's format nor a known one; nobody can log in with it. */
  result: "match" | "mismatch" | "malformed";
  /** True when a successful login must store a new Piccolo hash (other iteration count, other format). */
  upgrade: boolean;
}

/**
 * Checks `password` against a stored value. A malformed value still costs one hash of `iterations`,
 * so a bad row is not told apart by timing. Never throws for any stored value.
 */
export async function checkStoredPassword(password: string, stored: unknown, iterations: number): Promise<StoredPasswordVerdict> {
  const parsed = parseStoredHash(stored);
  if (parsed) {
    const ok = await verifyPassword(password, stored, iterations);
    return { result: ok ? "match" : "mismatch", upgrade: parsed.iterations !== iterations };
  }
  const legacy = await verifyLegacyHash(password, stored);
  if (legacy === null) {
    await burnOneHash(password, iterations);
    return { result: "malformed", upgrade: false };
  }
  return { result: legacy ? "match" : "mismatch", upgrade: true };
}

export type StoredPasswordState =
  | { state: "current" }
  | { state: "weak"; iterations: number }
  | { state: "legacy"; format: string }
  | { state: "malformed" };

/** How `piccolo user check` sees a stored value (no hashing: shape only). */
export function classifyStoredPassword(stored: unknown, iterations: number): StoredPasswordState {
  const parsed = parseStoredHash(stored);
  if (parsed) return parsed.iterations < iterations ? { state: "weak", iterations: parsed.iterations } : { state: "current" };
  const format = identifyLegacyHash(stored);
  return format ? { state: "legacy", format: LEGACY_FORMAT_NAMES[format] } : { state: "malformed" };
}

/** True for any value a login can verify: Piccolo's format or an importable one. */
export function isSupportedStoredPassword(stored: unknown): boolean {
  return parseStoredHash(stored) !== null || identifyLegacyHash(stored) !== null;
}
