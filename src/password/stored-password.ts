import { parseStoredHash } from "./hasher.js";
import { identifyLegacyHash } from "./legacy-hashes.js";

/** True for any stored value a login can verify: Piccolo's format or one imported from another system. */
export function isSupportedStoredPassword(stored: unknown): boolean {
  return parseStoredHash(stored) !== null || identifyLegacyHash(stored) !== null;
}
