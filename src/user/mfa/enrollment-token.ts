// An enrollment that is not confirmed yet lives only with the browser or client that started it: its
// secret, user id and expiry sealed (XChaCha20-Poly1305) under a key derived from the MFA key. Nothing is
// written until a correct code comes back, so an abandoned QR code enables nothing, and any process
// sharing the key can finish it.
import { randomBytes } from "node:crypto";
import { openXchacha, sealXchacha } from "./encryption.js";

/** How long a started enrollment may be confirmed. */
export const ENROLLMENT_TTL_MS = 10 * 60_000;
const MAX_TOKEN_LENGTH = 512;

const purpose = (userId: number) => Buffer.from(`piccolo-ts enrollment of user ${userId}`, "utf8");

export function sealEnrollment(key: Uint8Array, userId: number, secret: string, now = Date.now()): string {
  const payload = Buffer.from(JSON.stringify({ s: secret, e: now + ENROLLMENT_TTL_MS }), "utf8");
  return Buffer.from(sealXchacha(key, randomBytes(24), payload, purpose(userId))).toString("base64url");
}

/** The secret of a sealed enrollment of `userId` that has not expired, or null. */
export function openEnrollment(key: Uint8Array, userId: number, token: unknown, now = Date.now()): string | null {
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
  const opened = openXchacha(key, Buffer.from(token, "base64url"), purpose(userId));
  if (!opened) return null;
  try {
    const { s, e } = JSON.parse(Buffer.from(opened).toString("utf8")) as { s?: unknown; e?: unknown };
    return typeof s === "string" && typeof e === "number" && e > now ? s : null;
  } catch {
    return null;
  }
}
