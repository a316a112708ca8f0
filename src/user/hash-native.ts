import { pbkdf2Sync } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The addon's one function: PBKDF2-HMAC-SHA256 of raw bytes, run on the calling thread. */
export type Pbkdf2Sha256 = (password: Uint8Array, salt: Uint8Array, iterations: number, keyLength: number) => Buffer;

/** What native/pbkdf2.c exports. */
export interface NativeAddon {
  pbkdf2Sha256: Pbkdf2Sha256;
  /** The same derivation on OpenSSL's SHA256_Transform whatever the CPU (what runs without SHA-NI). */
  pbkdf2Sha256Transform: Pbkdf2Sha256;
  /** The iteration loop pbkdf2Sha256 runs: "sha-ni" (x86-64 SHA extensions) or "sha256-transform". */
  kernel: NativeKernel;
}

/** The native addon's iteration loop: "sha-ni" (x86-64 SHA extensions, in registers) or "sha256-transform" (OpenSSL's). */
export type NativeKernel = "sha-ni" | "sha256-transform";

export interface NativeLoad {
  pbkdf2: Pbkdf2Sha256 | undefined;
  /** The addon's iteration loop, when it is in use. */
  kernel?: NativeKernel;
  /** Why the addon is not in use (absent, disabled, failed to load or to agree with crypto.pbkdf2). */
  reason?: string;
}

/** Built by native/build.mjs at install (`cd native && node-gyp rebuild` by hand). */
export const ADDON_PATH = fileURLToPath(new URL("../../native/build/Release/piccolo_pbkdf2.node", import.meta.url));

/** Set to 0 to hash with crypto.pbkdf2 even where the addon is built. */
export const DISABLE_VARIABLE = "PICCOLO_NATIVE_HASH";

// Cases the addon must agree on with OpenSSL's PBKDF2 before it is trusted: an empty key, a key longer
// than a SHA-256 block (which HMAC hashes first), a derived key of two blocks.
const SELF_CHECK: [string, string, number, number][] = [
  ["", "salt", 1, 32],
  ["abc123", "0123456789abcdef0123456789abcdef", 3, 32],
  ["k".repeat(100), "s", 2, 40],
];

let loaded: NativeLoad | undefined;

/** Loads the addon once per thread; never throws (an unusable addon is a reason, and the fallback runs). */
export function loadNativePbkdf2(): NativeLoad {
  if (loaded) return loaded;
  if (process.env[DISABLE_VARIABLE] === "0") return (loaded = { pbkdf2: undefined, reason: `disabled by ${DISABLE_VARIABLE}=0` });
  let pbkdf2: Pbkdf2Sha256;
  let kernel: NativeKernel;
  try {
    ({ pbkdf2Sha256: pbkdf2, kernel } = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason =
      code === "MODULE_NOT_FOUND"
        ? "the addon is not built (run `node native/build.mjs` in the package)"
        : `the addon did not load: ${String((error as Error).message).split("\n")[0]}`;
    return (loaded = { pbkdf2: undefined, reason });
  }
  for (const [password, salt, iterations, keyLength] of SELF_CHECK) {
    const mine = pbkdf2(Buffer.from(password), Buffer.from(salt), iterations, keyLength);
    if (!mine.equals(pbkdf2Sync(password, salt, iterations, keyLength, "sha256"))) {
      return (loaded = { pbkdf2: undefined, reason: "the addon's output differs from crypto.pbkdf2" });
    }
  }
  return (loaded = { pbkdf2, kernel });
}
