// How piccolo_api stores a TOTP secret (`authenticator_secret.secret`): `<provider>-<payload>`, with the
// providers of its encryption/providers.py — `xchacha20-` (libsodium's XChaCha20-Poly1305-IETF, hex of
// nonce ‖ ciphertext ‖ tag, no associated data), `fernet-` (a Fernet token) and `plain-`. The formats are
// byte-compatible both ways (test/mfa-core.test.ts replays piccolo_api's own outputs).
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { ConfigError, MfaError } from "../../errors.js";

/** The encryption piccolo_api calls a provider: `xchacha20` (its default), `fernet`, or `plain` (none). */
export type MfaEncryptionProvider = "xchacha20" | "fernet" | "plain";

/** Where the key comes from when none is given in code. */
export const MFA_KEY_VARIABLE = "PICCOLO_MFA_KEY";

/** Which provider, with which key (unset: the `PICCOLO_MFA_KEY` variable). */
export interface MfaEncryptionOptions {
  /** Default `xchacha20`, as piccolo_api. */
  provider?: MfaEncryptionProvider;
  /**
   * `xchacha20`: the raw 32-byte key Python's `XChaCha20Provider` takes, as 64 hex digits. `fernet`: the
   * Fernet key (URL-safe base64 of 32 bytes) Python's `FernetProvider` takes. `plain`: none.
   */
  key?: string;
}

/** Encrypts and decrypts stored secrets of one provider and key. */
export interface MfaEncryption {
  readonly provider: MfaEncryptionProvider;
  /** The stored form, `<provider>-<payload>`. */
  encrypt(secret: string): string;
  /** The secret of a stored value of this provider; MfaError for another provider or a wrong key. */
  decrypt(stored: string): string;
  /**
   * A key derived from this one for sealing enrollments not yet confirmed (enrollment-token.ts); with
   * `plain`, a random key of this process (pending enrollments then end with it).
   */
  readonly sealingKey: Uint8Array;
}

function deriveSealingKey(key: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", key, new Uint8Array(0), "piccolo-ts mfa pending enrollment", 32));
}

const XCHACHA_NONCE = 24;
const XCHACHA_TAG = 16;
const FERNET_VERSION = 0x80;
const FERNET_HEADER = 1 + 8 + 16;
const FERNET_MAC = 32;

/**
 * The encryption for `options`, with its key checked now: a missing or malformed key is a ConfigError at
 * start-up, never a failure at the first login.
 *
 * @example
 * ```ts
 * const encryption = createMfaEncryption({ key: process.env.PICCOLO_MFA_KEY }); // 64 hex digits
 * ```
 */
export function createMfaEncryption(options: MfaEncryptionOptions = {}): MfaEncryption {
  const provider = options.provider ?? "xchacha20";
  if (provider === "plain") return plainEncryption();
  const key = options.key ?? process.env[MFA_KEY_VARIABLE];
  if (key === undefined || key.trim() === "") {
    throw new ConfigError(
      `Two-factor authentication needs a ${provider} key: set ${MFA_KEY_VARIABLE} or pass mfa.key (generate one with \`piccolo user mfa key\`).`,
    );
  }
  if (provider === "xchacha20") return xchachaEncryption(parseXchachaKey(key.trim()));
  if (provider === "fernet") return fernetEncryption(parseFernetKey(key.trim()));
  throw new ConfigError(`Unknown MFA encryption provider ${JSON.stringify(provider)}: use xchacha20, fernet or plain.`);
}

/** A new random key for `provider`, in the form `createMfaEncryption` takes. */
export function generateMfaKey(provider: Exclude<MfaEncryptionProvider, "plain"> = "xchacha20"): string {
  const bytes = randomBytes(32);
  return provider === "xchacha20" ? bytes.toString("hex") : `${bytes.toString("base64url")}=`;
}

function parseXchachaKey(key: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(key)) {
    throw new ConfigError(`The xchacha20 MFA key must be 64 hex digits (the raw 32-byte key); got ${key.length} characters.`);
  }
  return Buffer.from(key, "hex");
}

function parseFernetKey(key: string): Buffer {
  const bytes = /^[A-Za-z0-9_-]{43}=?$/.test(key) ? Buffer.from(key, "base64url") : Buffer.alloc(0);
  if (bytes.length !== 32) {
    throw new ConfigError("The fernet MFA key must be a Fernet key: URL-safe base64 of 32 bytes (44 characters).");
  }
  return bytes;
}

function payloadOf(stored: string, provider: MfaEncryptionProvider): string {
  const prefix = `${provider}-`;
  if (typeof stored === "string" && stored.startsWith(prefix)) return stored.slice(prefix.length);
  const found = typeof stored === "string" ? /^([a-z0-9]+)-/.exec(stored)?.[1] : undefined;
  throw new MfaError(
    found
      ? `This MFA secret is stored with ${found}, but ${provider} is configured: rekey with \`piccolo user mfa rekey\`.`
      : "This MFA secret is not in a format piccolo_api writes.",
  );
}

function plainEncryption(): MfaEncryption {
  return {
    provider: "plain",
    sealingKey: randomBytes(32),
    encrypt: (secret) => `plain-${secret}`,
    decrypt: (stored) => payloadOf(stored, "plain"),
  };
}

function xchachaEncryption(key: Uint8Array): MfaEncryption {
  return {
    provider: "xchacha20",
    sealingKey: deriveSealingKey(key),
    encrypt(secret) {
      return `xchacha20-${Buffer.from(sealXchacha(key, randomBytes(XCHACHA_NONCE), Buffer.from(secret, "utf8"))).toString("hex")}`;
    },
    decrypt(stored) {
      const hex = payloadOf(stored, "xchacha20");
      const bytes = /^(?:[0-9a-f]{2})+$/i.test(hex) ? Buffer.from(hex, "hex") : Buffer.alloc(0);
      const opened = bytes.length > XCHACHA_NONCE + XCHACHA_TAG ? openXchacha(key, bytes) : null;
      if (!opened) throw new MfaError("An MFA secret cannot be decrypted with the configured xchacha20 key (wrong key or damaged value).");
      return Buffer.from(opened).toString("utf8");
    },
  };
}

/** nonce ‖ ciphertext ‖ tag, as PyNaCl's `Aead.encrypt` returns it (no associated data). */
export function sealXchacha(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  const sealed = xchacha20poly1305(key, nonce, aad).encrypt(plaintext);
  return Buffer.concat([nonce, sealed]);
}

/** The plaintext of nonce ‖ ciphertext ‖ tag, or null when it does not authenticate. */
export function openXchacha(key: Uint8Array, bytes: Uint8Array, aad?: Uint8Array): Uint8Array | null {
  try {
    return xchacha20poly1305(key, bytes.subarray(0, XCHACHA_NONCE), aad).decrypt(bytes.subarray(XCHACHA_NONCE));
  } catch {
    return null;
  }
}

function fernetEncryption(key: Buffer): MfaEncryption {
  return {
    provider: "fernet",
    sealingKey: deriveSealingKey(key),
    encrypt: (secret) => `fernet-${fernetToken(key, Buffer.from(secret, "utf8"), randomBytes(16), Math.floor(Date.now() / 1000))}`,
    decrypt(stored) {
      const opened = openFernet(key, payloadOf(stored, "fernet"));
      if (!opened) throw new MfaError("An MFA secret cannot be decrypted with the configured fernet key (wrong key or damaged value).");
      return opened.toString("utf8");
    },
  };
}

/** A Fernet token (spec: github.com/fernet/spec): version, time, IV, AES-128-CBC ciphertext, HMAC-SHA256. */
export function fernetToken(key: Buffer, plaintext: Buffer, iv: Buffer, unixTime: number): string {
  const cipher = createCipheriv("aes-128-cbc", key.subarray(16, 32), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const time = Buffer.alloc(8);
  time.writeBigUInt64BE(BigInt(unixTime));
  const signed = Buffer.concat([Buffer.from([FERNET_VERSION]), time, iv, ciphertext]);
  const mac = createHmac("sha256", key.subarray(0, 16)).update(signed).digest();
  return Buffer.concat([signed, mac]).toString("base64url").padEnd(Math.ceil((signed.length + FERNET_MAC) / 3) * 4, "=");
}

/** The plaintext of a Fernet token, or null when it is malformed or does not authenticate (no TTL, as piccolo_api). */
function openFernet(key: Buffer, token: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) return null;
  const bytes = Buffer.from(token, "base64url");
  if (bytes.length < FERNET_HEADER + 16 + FERNET_MAC || bytes[0] !== FERNET_VERSION) return null;
  const signed = bytes.subarray(0, bytes.length - FERNET_MAC);
  const expected = createHmac("sha256", key.subarray(0, 16)).update(signed).digest();
  if (!timingSafeEqual(expected, bytes.subarray(bytes.length - FERNET_MAC))) return null;
  try {
    const decipher = createDecipheriv("aes-128-cbc", key.subarray(16, 32), signed.subarray(9, FERNET_HEADER));
    return Buffer.concat([decipher.update(signed.subarray(FERNET_HEADER)), decipher.final()]);
  } catch {
    return null;
  }
}
