import crypto, { pbkdf2Sync, randomBytes } from "node:crypto";
import { deriveKey, deriveKeySync, hashRefusal } from "./hash-pool.js";

/**
 * Piccolo's stored password format: `pbkdf2_sha256$<iterations>$<salt>$<hash>`. The salt is 16 random
 * bytes written as 32 lowercase hex characters, and that hex *text* is what PBKDF2 gets as salt.
 */
export const HASH_ALGORITHM = "pbkdf2_sha256";
/**
 * PBKDF2 iterations of a new hash, as Piccolo's current default (600 000); `BaseUser.iterations` starts
 * here. Raise it in a subclass to make hashes stronger; older hashes are upgraded at the next login.
 *
 * @example
 * ```ts
 * class StrongUser extends BaseUser { static override iterations = DEFAULT_ITERATIONS * 2; }
 * ```
 */
export const DEFAULT_ITERATIONS = 600_000;
const KEY_LENGTH = 32;
const DIGEST = "sha256";
// A planted row must not make a login burn minutes of CPU: counts above this are treated as malformed.
const MAX_ITERATIONS = 10_000_000;


/** PBKDF2 of a password and salt text (both UTF-8) on the hash pool (hash-pool.ts), off the event loop. */
function derive(password: string, salt: string, iterations: number): Promise<Buffer> {
  return deriveKey(Buffer.from(password, "utf8"), Buffer.from(salt, "utf8"), iterations, KEY_LENGTH);
}

/** A stored `pbkdf2_sha256$<iterations>$<salt>$<hex key>` value, in parts. */
export interface ParsedHash {
  /** PBKDF2 iterations it was made with. */
  iterations: number;
  /** The salt, as stored (text, used as UTF-8 bytes). */
  salt: string;
  /** The derived key (32 bytes). */
  key: Buffer;
}

const HASH_PATTERN = /^pbkdf2_sha256\$([1-9][0-9]{0,7})\$([^$\s]{1,128})\$([0-9a-f]{64})$/;

/**
 * The parts of a stored value, or null when it is not a well-formed hash (plaintext, truncated, other
 * format). For tools that inspect stored hashes, e.g. to find those made with few iterations.
 *
 * @example
 * ```ts
 * const parsed = parseStoredHash(storedValue);
 * if (parsed && parsed.iterations < DEFAULT_ITERATIONS) console.log("fewer iterations than required: upgraded at the next login");
 * ```
 */
export function parseStoredHash(stored: unknown): ParsedHash | null {
  if (typeof stored !== "string" || stored.length > 300) return null;
  const match = HASH_PATTERN.exec(stored);
  if (!match) return null;
  const iterations = Number(match[1]);
  if (iterations > MAX_ITERATIONS) return null;
  return { iterations, salt: match[2]!, key: Buffer.from(match[3]!, "hex") };
}

/**
 * True when `stored` is a Piccolo hash (`pbkdf2_sha256$<iterations>$<salt>$<64 hex>`): to refuse a hash
 * where a password belongs, or to spot plaintext written by a bulk update.
 *
 * @example
 * ```ts
 * isWellFormedHash(await hashPassword("s3cret")); // true
 * isWellFormedHash("s3cret");                     // false
 * ```
 */
export function isWellFormedHash(stored: unknown): boolean {
  return parseStoredHash(stored) !== null;
}

export function generateSalt(): string {
  return randomBytes(16).toString("hex");
}

function format(iterations: number, salt: string, key: Buffer): string {
  return `${HASH_ALGORITHM}$${iterations}$${salt}$${key.toString("hex")}`;
}

/**
 * A new Piccolo hash of `password`, the format Python Piccolo stores and checks. Hashes on the hash
 * pool's threads: the event loop and libuv's pool keep serving while PBKDF2 runs. Rejects with
 * BusyError, before hashing, when the pool's queue is full. `BaseUser.createUser` does this for you.
 *
 * @example
 * ```ts
 * const stored = await hashPassword("s3cret");         // "pbkdf2_sha256$600000$<salt>$<hash>"
 * const quick = await hashPassword("s3cret", 10_000);  // fewer iterations, e.g. for fixtures
 * ```
 */
export async function hashPassword(password: string, iterations = DEFAULT_ITERATIONS, salt?: string): Promise<string> {
  // Under a flood, refuse before making a salt and buffers that would only be thrown away.
  const refused = hashRefusal();
  if (refused) throw refused;
  const chosenSalt = salt ?? generateSalt();
  return format(iterations, chosenSalt, await derive(password, chosenSalt, iterations));
}

/**
 * Hashes on the calling thread (blocking it), with the native addon when it is in use: for scripts and
 * synchronous code, not for servers.
 *
 * @example
 * ```ts
 * const stored = hashPasswordSync("s3cret");
 * ```
 */
export function hashPasswordSync(password: string, iterations = DEFAULT_ITERATIONS, salt = generateSalt()): string {
  const bytes = Buffer.from(password, "utf8");
  const saltBytes = Buffer.from(salt, "utf8");
  const key = deriveKeySync(bytes, saltBytes, iterations, KEY_LENGTH) ?? pbkdf2Sync(bytes, saltBytes, iterations, KEY_LENGTH, DIGEST);
  return format(iterations, salt, key);
}

/**
 * True when `password` matches `stored`, compared in constant time. A malformed stored value never
 * matches and never throws; it still costs one hash of `fallbackIterations`, so a bad row is not told
 * apart by timing. `BaseUser.login` does this (and more) for you.
 *
 * @example
 * ```ts
 * const stored = await hashPassword("s3cret");
 * await verifyPassword("s3cret", stored); // true
 * await verifyPassword("wrong", stored);  // false
 * ```
 */
export async function verifyPassword(
  password: string,
  stored: unknown,
  fallbackIterations = DEFAULT_ITERATIONS,
): Promise<boolean> {
  const parsed = parseStoredHash(stored);
  if (!parsed) {
    await burnOneHash(password, fallbackIterations);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.iterations);
  // Through the module object, so a test can watch that the constant-time compare is what runs.
  return crypto.timingSafeEqual(key, parsed.key);
}

/** The same work as checking one password, for paths that have nothing to check (unknown username). */
export async function burnOneHash(password: string, iterations = DEFAULT_ITERATIONS): Promise<void> {
  await derive(password, generateSalt(), iterations);
}
