// The check of an imported hash, run synchronously on a hash pool thread (hash-worker.ts): one check per
// thread at a time, so the pool's size bounds the CPU and memory they take (argon2: up to its memory cap
// per thread), and libuv's pool stays free for the file system and DNS.
import crypto from "node:crypto";
import { createRequire } from "node:module";
import type { Pbkdf2Sha256 } from "./hash-native.js";
import { BETTER_AUTH_SCRYPT, identifyLegacyHash } from "./legacy-hashes.js";

const require = createRequire(import.meta.url);

interface Bcryptjs {
  compareSync(password: string, hash: string): boolean;
}
interface Argon2 {
  verifySync(hashed: string, password: Uint8Array): boolean;
}

let bcryptjs: Bcryptjs | undefined;
let argon2: Argon2 | undefined;

function equalKeys(key: Uint8Array, expected: Uint8Array): boolean {
  // Through the module object, so a test can watch that the constant-time compare is what runs.
  return key.length === expected.length && crypto.timingSafeEqual(key, expected);
}

/**
 * True when the password's UTF-8 bytes match `stored`, an imported hash of a format identifyLegacyHash
 * accepts (whose cost bounds it checks again here). For `django_bcrypt_sha256` the bytes are already the
 * SHA-256 hex of the password, for better-auth its NFKC form (legacy-hashes.ts prepares them).
 */
export function verifyLegacySync(password: Uint8Array, stored: string, nativePbkdf2?: Pbkdf2Sha256): boolean {
  const format = identifyLegacyHash(stored);
  switch (format) {
    case "django_pbkdf2_sha256":
    case "django_pbkdf2_sha1": {
      const [, iterations, salt, digest] = stored.split("$") as [string, string, string, string];
      const expected = Buffer.from(digest, "base64");
      const saltBytes = Buffer.from(salt, "utf8");
      const key =
        format === "django_pbkdf2_sha256" && nativePbkdf2
          ? nativePbkdf2(password, saltBytes, Number(iterations), expected.length)
          : crypto.pbkdf2Sync(password, saltBytes, Number(iterations), expected.length, format === "django_pbkdf2_sha256" ? "sha256" : "sha1");
      return equalKeys(key, expected);
    }
    case "django_argon2":
      argon2 ??= require("@node-rs/argon2") as Argon2;
      try {
        return argon2.verifySync(stored.slice("argon2".length), password); // the crate's constant-time compare
      } catch {
        return false; // a value of the right shape that the library still cannot decode
      }
    case "django_bcrypt_sha256":
    case "bcrypt": {
      bcryptjs ??= require("bcryptjs") as Bcryptjs;
      const hash = format === "bcrypt" ? stored : stored.slice("bcrypt_sha256$".length);
      try {
        return bcryptjs.compareSync(Buffer.from(password).toString("utf8"), hash);
      } catch {
        return false;
      }
    }
    case "better_auth_scrypt": {
      const [, salt, keyHex] = BETTER_AUTH_SCRYPT.exec(stored)!;
      const key = crypto.scryptSync(password, salt!, 64, { N: 16384, r: 16, p: 1, maxmem: 64 * 1024 * 1024 });
      return equalKeys(key, Buffer.from(keyHex!, "hex"));
    }
    default:
      return false;
  }
}
