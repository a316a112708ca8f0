// `piccolo doctor`: how this installation hashes passwords. Touches no database.
import { dialects } from "../../engine/dialects/index.js";
import { hasherInfo } from "../../user/hash-pool.js";
import { print, printJson } from "../output.js";
import type { CommandInput } from "../types.js";

const LOOPS = {
  "sha-ni": "on the CPU's SHA extensions",
  "armv8-sha2": "on the CPU's ARMv8 SHA-2 instructions",
  portable: "on its portable SHA-256",
} as const;

export async function run(input: CommandInput): Promise<void> {
  const info = hasherInfo();
  const { implementation, runtime, kernel, binary, lanes, reason, threads, queueDepth, nice } = info;
  const sqliteDriver = dialects.sqlite.driverName();
  if (input.json) {
    printJson({ sqliteDriver, hasher: { implementation, runtime, ...(kernel ? { kernel } : {}), ...(binary ? { binary } : {}), lanes, ...(reason ? { reason } : {}), threads, queueDepth, nice } });
    return;
  }
  print(`Runtime: ${runtime}; SQLite through ${sqliteDriver}.`);
  print(
    implementation === "native"
      ? `Password hashing: native PBKDF2 addon, ${LOOPS[kernel ?? "portable"]} (same hashes as crypto.pbkdf2, in less time).`
      : `Password hashing: ${runtime.split(" ")[0]}'s crypto.pbkdf2 (${reason ?? "the native addon is not in use"}).`,
  );
  if (implementation === "native") {
    print(`Addon binary: ${binary === "prebuilt" ? `prebuilt for ${process.platform}-${process.arch}, shipped in the package` : "built on this machine at install"}.`);
    print(
      lanes > 1
        ? `Hash lanes: ${lanes} (PICCOLO_HASH_LANES): a hash thread runs two waiting hashes in one loop.`
        : `Hash lanes: 1 (PICCOLO_HASH_LANES): one hash per thread at a time${kernel === "portable" ? " (the portable loop runs one)" : ""}.`,
    );
  }
  print(`Hash threads: ${threads} (PICCOLO_HASH_THREADS); queue depth: ${queueDepth} (PICCOLO_HASH_QUEUE); beyond it a login fails fast with BusyError.`);
  print(nice > 0 ? `Hash threads run at nice +${nice} (PICCOLO_HASH_NICE): the event loop gets a core first.` : "Hash threads run at the process's priority.");
}
