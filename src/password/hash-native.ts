import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The addon's one function: PBKDF2-HMAC-SHA256 of raw bytes, run on the calling thread. */
export type Pbkdf2Sha256 = (password: Uint8Array, salt: Uint8Array, iterations: number, keyLength: number) => Buffer;

/** Two keys at once (a's four arguments, then b's): with `lanes` 2 their iterations share one register loop. */
export type Pbkdf2Sha256Pair = (
  passwordA: Uint8Array, saltA: Uint8Array, iterationsA: number, keyLengthA: number,
  passwordB: Uint8Array, saltB: Uint8Array, iterationsB: number, keyLengthB: number,
) => [Buffer, Buffer];

/** What native/pbkdf2.c exports. */
export interface NativeAddon {
  pbkdf2Sha256: Pbkdf2Sha256;
  /** The same derivation on the addon's portable SHA-256 whatever the CPU (what runs without SHA-NI). */
  pbkdf2Sha256Transform: Pbkdf2Sha256;
  /** Two keys in one call (from the build with two lanes on). */
  pbkdf2Sha256Pair?: Pbkdf2Sha256Pair;
  /** The iteration loop pbkdf2Sha256 runs: "sha-ni", "armv8-sha2" or "portable". */
  kernel: NativeKernel;
  /** How many hashes pbkdf2Sha256Pair's loop interleaves: 2 on the register loops, 1 on the portable one. */
  lanes?: number;
  /** True from the build that carries its own SHA-256; older builds took OpenSSL's from the host binary. */
  selfContained?: boolean;
}

/**
 * The native addon's iteration loop: "sha-ni" (x86-64 SHA extensions, in registers), "armv8-sha2" (arm64's
 * SHA-2 instructions, in registers) or "portable" (its own C SHA-256).
 */
export type NativeKernel = "sha-ni" | "armv8-sha2" | "portable";

/** Which binary is loaded: one built on this machine at install, or the one shipped for this platform. */
export type NativeBinary = "source" | "prebuilt";

export interface NativeLoad {
  pbkdf2: Pbkdf2Sha256 | undefined;
  /** Two hashes in one call, when the addon has it (it interleaves them when `lanes` is 2). */
  pair?: Pbkdf2Sha256Pair;
  /** The addon's iteration loop, when it is in use. */
  kernel?: NativeKernel;
  /** How many hashes that loop can run at once (1 or 2). */
  lanes?: number;
  /** The binary in use: built at install ("source") or shipped in the package ("prebuilt"). */
  binary?: NativeBinary;
  /** Why the addon is not in use (absent, disabled, failed to load or to agree with crypto.pbkdf2). */
  reason?: string;
}

/** Built by native/build.mjs at install (`cd native && node-gyp rebuild` by hand). */
export const ADDON_PATH = fileURLToPath(new URL("../../native/build/Release/piccolo_pbkdf2.node", import.meta.url));

/** Shipped in the package for linux-x64 and linux-arm64 (scripts/prebuild.sh): used when no build of this machine is there. */
export const PREBUILT_PATH = fileURLToPath(new URL(`../../native/prebuilt/${process.platform}-${process.arch}/piccolo_pbkdf2.node`, import.meta.url));

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
 * A build made on this machine (native/build/Release) comes first, then the package's prebuilt one.
 */
export function loadNativePbkdf2(): NativeLoad {
  if (loaded) return loaded;
  if (process.env[DISABLE_VARIABLE] === "0") return (loaded = { pbkdf2: undefined, reason: `disabled by ${DISABLE_VARIABLE}=0` });
  const candidates = ([["source", ADDON_PATH], ["prebuilt", PREBUILT_PATH]] as const).filter(([, file]) => existsSync(file));
  if (candidates.length === 0) return (loaded = { pbkdf2: undefined, reason: "the addon is not built (run `node native/build.mjs` in the package)" });
  const reasons: string[] = [];
  for (const [binary, file] of candidates) {
    const attempt = loadAddon(file);
    if (attempt.pbkdf2) return (loaded = { ...attempt, binary });
    reasons.push(candidates.length > 1 ? `${attempt.reason} (${binary})` : attempt.reason!);
  }
  return (loaded = { pbkdf2: undefined, reason: reasons.join("; ") });
}

/** One binary: loaded, checked for its mark and against the known answers (one and two at a time). */
function loadAddon(file: string): NativeLoad {
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(file) as NativeAddon;
  } catch (error) {
    return { pbkdf2: undefined, reason: `the addon did not load: ${String((error as Error).message).split("\n")[0]}` };
  }
  if (addon.selfContained !== true) {
    return {
      pbkdf2: undefined,
      reason: "the addon was built by an older piccolo-ts, on the host's OpenSSL (rebuild it: `node native/build.mjs` in the package)",
    };
  }
  const { pbkdf2Sha256: pbkdf2, pbkdf2Sha256Pair: pair, kernel } = addon;
  const input = ([password, salt, iterations, keyHex]: (typeof KNOWN_ANSWERS)[number]) =>
    [Buffer.from(password), Buffer.from(salt), iterations, keyHex.length / 2] as const;
  try {
    const wrong = KNOWN_ANSWERS.some((answer) => pbkdf2(...input(answer)).toString("hex") !== answer[3]);
    // Pairs of different iteration counts and key lengths: the longer one finishes alone.
    const pairs = ([[0, 3], [2, 1]] as const).map(([a, b]) => [KNOWN_ANSWERS[a]!, KNOWN_ANSWERS[b]!] as const);
    const wrongPair = pair !== undefined && pairs.some(([a, b]) => pair(...input(a), ...input(b)).map((key) => key.toString("hex")).join() !== `${a[3]},${b[3]}`);
    if (wrong || wrongPair) return { pbkdf2: undefined, reason: "the addon's output differs from crypto.pbkdf2's known answers" };
  } catch (error) {
    return { pbkdf2: undefined, reason: `the addon failed its self-test: ${String((error as Error).message).split("\n")[0]}` };
  }
  return { pbkdf2, kernel, ...(pair ? { pair, lanes: addon.lanes === 2 ? 2 : 1 } : { lanes: 1 }) };
}
