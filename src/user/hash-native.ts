import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The addon's one function: PBKDF2-HMAC-SHA256 of raw bytes, run on the calling thread. */
export type Pbkdf2Sha256 = (password: Uint8Array, salt: Uint8Array, iterations: number, keyLength: number) => Buffer;

/** What native/pbkdf2.c exports. */
export interface NativeAddon {
  pbkdf2Sha256: Pbkdf2Sha256;
  /** The same derivation on the addon's portable SHA-256 whatever the CPU (what runs without SHA-NI). */
  pbkdf2Sha256Transform: Pbkdf2Sha256;
  /** The iteration loop pbkdf2Sha256 runs: "sha-ni" (x86-64 SHA extensions) or "portable". */
  kernel: NativeKernel;
  /** True from the build that carries its own SHA-256; older builds took OpenSSL's from the host binary. */
  selfContained?: boolean;
}

/** The native addon's iteration loop: "sha-ni" (x86-64 SHA extensions, in registers) or "portable" (its own C SHA-256). */
export type NativeKernel = "sha-ni" | "portable";

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

/**
 * Known answers of crypto.pbkdf2 (SHA-256; password, salt, iterations, key in hex) the addon must give
 * before it is trusted: an empty key, a key longer than a SHA-256 block (which HMAC hashes first), a
 * derived key of two blocks, UTF-8 text. Fixed here rather than computed at load, so the check is the
 * same on every runtime (test/hasher-native.test.ts checks them against crypto.pbkdf2).
 */
export const KNOWN_ANSWERS: readonly (readonly [password: string, salt: string, iterations: number, keyHex: string])[] = [
  ["", "salt", 1, "f135c27993baf98773c5cdb40a5706ce6a345cde61b000a67858650cd6a324d7"],
  ["abc123", "0123456789abcdef0123456789abcdef", 3, "8824ab724481f51fce4f50a55c2704e84251e624866b455becac5091188eedc3"],
  ["k".repeat(100), "s", 2, "db29459a2aa4d79b2b31be9b22d5a0bd4a4a6dfb249e6216b4aacc8d7724dae4738fcce2900dbfbd"],
  ["pässwörd✓", "00000000000000000000000000000000", 1000, "4dc2633d02dc2a8e9501beb877f6dcf151c91f322a238f4753d538e0c8669f8b"],
];

let loaded: NativeLoad | undefined;

/**
 * Loads the addon once per thread; never throws, and never runs code of an addon that could take the
 * process down: a build with an unresolved symbol fails to load (it is linked with -z now), an older
 * build that takes its SHA-256 from the host binary is refused before any call, and one whose output
 * differs from the known answers is not used. Each is a `reason`, and crypto.pbkdf2 runs instead.
 */
export function loadNativePbkdf2(): NativeLoad {
  if (loaded) return loaded;
  if (process.env[DISABLE_VARIABLE] === "0") return (loaded = { pbkdf2: undefined, reason: `disabled by ${DISABLE_VARIABLE}=0` });
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason =
      code === "MODULE_NOT_FOUND"
        ? "the addon is not built (run `node native/build.mjs` in the package)"
        : `the addon did not load: ${String((error as Error).message).split("\n")[0]}`;
    return (loaded = { pbkdf2: undefined, reason });
  }
  if (addon.selfContained !== true) {
    return (loaded = {
      pbkdf2: undefined,
      reason: "the addon was built by an older piccolo-ts, on the host's OpenSSL (rebuild it: `node native/build.mjs` in the package)",
    });
  }
  const { pbkdf2Sha256: pbkdf2, kernel } = addon;
  try {
    for (const [password, salt, iterations, keyHex] of KNOWN_ANSWERS) {
      const mine = pbkdf2(Buffer.from(password), Buffer.from(salt), iterations, keyHex.length / 2);
      if (Buffer.from(mine).toString("hex") !== keyHex) {
        return (loaded = { pbkdf2: undefined, reason: "the addon's output differs from crypto.pbkdf2's known answers" });
      }
    }
  } catch (error) {
    return (loaded = { pbkdf2: undefined, reason: `the addon failed its self-test: ${String((error as Error).message).split("\n")[0]}` });
  }
  return (loaded = { pbkdf2, kernel });
}
