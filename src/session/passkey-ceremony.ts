// The WebAuthn ceremonies, with @simplewebauthn/server doing the cryptography (attestation and assertion
// parsing, COSE keys, signature checks): options out, the browser's answer in. What is ours: challenges
// stored server-side and taken once (passkey challenges table), the relying party id and origins from
// the deployment settings, user verification required, counters that must move forward, and every
// assertion counted against the login rate limit before its signature is checked.
import type { Context } from "hono";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { StoreUnavailableError, ValidationError } from "../errors.js";
import { PasskeyChallenges, CHALLENGE_TTL_MS, type ChallengePurpose } from "../user/passkeys/challenges.js";
import { PasskeyCredentials, type PasskeySummary, type StoredPasskey } from "../user/passkeys/credentials.js";
import type { BaseUser } from "../user/base-user.js";
import type { User } from "../user/user-row.js";
import { userLimitKey } from "./account-key.js";
import type { Deployment } from "./deployment.js";
import type { LoginRateLimiter } from "./rate-limit.js";
import type { PasskeyOptions } from "./passkey-options.js";
import { BUSY_MESSAGE, rateLimitedMessage } from "./request-state.js";

/** What a refused passkey login says: the same whatever was wrong (unknown key, bad signature, replay). */
export const PASSKEY_FAILED = "That passkey could not be verified.";

/** What the ceremonies use of the session auth: users and their rules, the rate limit, the deployment. */
export interface PasskeyParts {
  readonly userClass: typeof BaseUser;
  readonly rateLimiter: LoginRateLimiter | null;
  readonly deployment: Deployment;
  allows(user: User | null): user is User;
  clientAddress(c: Context): string;
}

/** What the browser needs for the second step: the assertion options, and whether a TOTP code may be sent instead. */
export interface PasskeyStep {
  options: PublicKeyCredentialRequestOptionsJSON;
  codeAlso: boolean;
}

export type PasskeyCheck =
  | { ok: true; user: User; passkey: StoredPasskey }
  | { ok: false; status: 400 | 401 | 429 | 503; message: string; retryAfter?: number };

/** The challenge a browser's answer signed (from its clientDataJSON), or null when unreadable. */
function signedChallenge(response: { response?: { clientDataJSON?: unknown } }): string | null {
  const data = response.response?.clientDataJSON;
  if (typeof data !== "string" || data.length > 4096) return null;
  try {
    const parsed = JSON.parse(Buffer.from(data, "base64url").toString("utf8")) as { challenge?: unknown };
    return typeof parsed.challenge === "string" ? parsed.challenge : null;
  } catch {
    return null;
  }
}

/** The signature counter an assertion carries (authenticatorData bytes 33–36, big-endian), or null. */
function assertedCounter(response: AuthenticationResponseJSON): number | null {
  const data = Buffer.from(String(response.response?.authenticatorData ?? ""), "base64url");
  return data.length >= 37 ? data.readUInt32BE(33) : null;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The ceremonies of one SessionAuth (`auth.passkeys`, made from its `passkeys` option). */
export class PasskeyCeremonies {
  readonly credentials: PasskeyCredentials;
  readonly challenges: PasskeyChallenges;

  constructor(
    private readonly auth: PasskeyParts,
    readonly options: PasskeyOptions,
  ) {
    this.credentials = new PasskeyCredentials(auth.userClass);
    this.challenges = new PasskeyChallenges(auth.userClass);
  }

  get passwordless(): boolean {
    return this.options.passwordless ?? true;
  }

  get secondFactor(): boolean {
    return this.options.secondFactor ?? true;
  }

  /**
   * The relying party id and the origins accepted on this request: the options', else the host and
   * origin the browser used — which `allowedHosts` has already checked and trusted proxies may have
   * forwarded, so behind a proxy they are the public ones, not the backend's.
   */
  relyingParty(c: Context): { rpID: string; origins: string[] } {
    const origin = this.auth.deployment.origin(c);
    const host = origin ? new URL(origin).hostname.replace(/^\[|\]$/g, "") : "";
    return { rpID: this.options.rpID ?? host, origins: this.options.origins ? [...this.options.origins] : origin ? [origin] : [] };
  }

  async registrationOptions(c: Context, user: User): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.credentials.listStored(user.id);
    const challenge = await this.challenges.issue("register", user.id);
    return generateRegistrationOptions({
      rpName: this.options.rpName ?? "piccolo-ts",
      rpID: this.relyingParty(c).rpID,
      userName: user.username,
      userDisplayName: user.username,
      // A stable handle per user id, so re-registering on one authenticator replaces rather than duplicates.
      userID: new TextEncoder().encode(`piccolo-ts:${user.id}`),
      challenge: Buffer.from(challenge, "base64url"),
      timeout: CHALLENGE_TTL_MS,
      attestationType: "none",
      excludeCredentials: existing.map((each) => ({ id: each.credentialId, transports: each.transports as AuthenticatorTransportFuture[] })),
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
    });
  }

  /** Verifies a registration answer for the logged-in user and keeps the passkey under `name`. */
  async register(c: Context, user: User, response: unknown, name: unknown): Promise<{ ok: true; passkey: PasskeySummary } | { ok: false; status: 400; message: string }> {
    const refused = (message: string) => ({ ok: false as const, status: 400 as const, message });
    if (!isObject(response)) return refused("The browser's answer could not be read.");
    const challenge = signedChallenge(response);
    if (!challenge || !(await this.challenges.take(challenge, "register", user.id))) return refused("This passkey setup has expired: start again.");
    const { rpID, origins } = this.relyingParty(c);
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: origins,
        expectedRPID: rpID,
        requireUserVerification: true,
      });
    } catch {
      return refused("The passkey could not be verified.");
    }
    if (!verification.verified || !verification.registrationInfo) return refused("The passkey could not be verified.");
    const info = verification.registrationInfo;
    try {
      const passkey = await this.credentials.add(user.id, {
        credentialId: info.credential.id,
        publicKey: Buffer.from(info.credential.publicKey).toString("base64url"),
        signCount: info.credential.counter,
        transports: info.credential.transports ?? [],
        backedUp: info.credentialBackedUp,
        name,
      });
      return { ok: true, passkey };
    } catch (error) {
      if (error instanceof ValidationError) return refused(error.message);
      throw error;
    }
  }

  /** Options for an assertion by one of this user's passkeys (the step after a password, or a confirmation). */
  async authenticationOptions(c: Context, userId: number): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allowed = await this.credentials.listStored(userId);
    return this.assertionOptions(c, await this.challenges.issue("second", userId), allowed);
  }

  /** Options for a passwordless login (any discoverable passkey), or null while too many wait already. */
  async loginOptions(c: Context): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
    const challenge = await this.challenges.issueLogin();
    return challenge === null ? null : this.assertionOptions(c, challenge, []);
  }

  private assertionOptions(c: Context, challenge: string, allowed: readonly { credentialId: string; transports: readonly string[] }[]) {
    return generateAuthenticationOptions({
      rpID: this.relyingParty(c).rpID,
      challenge: Buffer.from(challenge, "base64url"),
      timeout: CHALLENGE_TTL_MS,
      userVerification: "required",
      allowCredentials: allowed.map((each) => ({ id: each.credentialId, transports: each.transports as AuthenticatorTransportFuture[] })),
    });
  }

  /**
   * Verifies an assertion: the challenge is taken first (a replay finds none), the credential must belong
   * to a live user row (and to `userId`, for a second factor), the attempt is counted under that
   * account's login limit before the signature is checked, and the counter must move forward.
   */
  async authenticate(c: Context, response: unknown, purpose: Exclude<ChallengePurpose, "register">, userId: number | null): Promise<PasskeyCheck> {
    const failed: PasskeyCheck = { ok: false, status: 401, message: PASSKEY_FAILED };
    if (!isObject(response) || typeof response.id !== "string" || response.id.length > 2048) return { ok: false, status: 400, message: "The browser's answer could not be read." };
    const passkey = await this.credentials.find(response.id);
    const limiter = this.auth.rateLimiter;
    let decision;
    try {
      decision = limiter ? await limiter.begin(passkey ? userLimitKey(passkey.userId) : userId !== null ? userLimitKey(userId) : "passkey:unknown", this.auth.clientAddress(c)) : null;
    } catch (error) {
      // An attempt that could not be counted (Redis down) is refused, never let through to the check.
      if (error instanceof StoreUnavailableError) return { ok: false, status: 503, message: BUSY_MESSAGE, retryAfter: error.retryAfterSeconds };
      throw error;
    }
    if (decision && !decision.allowed) return { ok: false, status: 429, message: rateLimitedMessage(decision.retryAfter), retryAfter: decision.retryAfter };
    const challenge = signedChallenge(response);
    const taken = challenge ? await this.challenges.take(challenge, purpose, userId) : null;
    // A second-factor challenge was issued to one user (after their password): only their passkey takes it.
    if (!taken || !passkey || (taken.userId !== null && passkey.userId !== taken.userId)) return failed;
    const user = await this.auth.userClass.getUser(passkey.userId);
    if (!this.auth.allows(user)) return failed;
    const received = assertedCounter(response as AuthenticationResponseJSON);
    if (received !== null && (received > 0 || passkey.signCount > 0) && received <= passkey.signCount) {
      this.reportRegression({ userId: passkey.userId, passkey: passkey.name, stored: passkey.signCount, received });
      return failed;
    }
    const { rpID, origins } = this.relyingParty(c);
    let verification;
    try {
      verification = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge: challenge!,
        expectedOrigin: origins,
        expectedRPID: rpID,
        requireUserVerification: true,
        credential: { id: passkey.credentialId, publicKey: Buffer.from(passkey.publicKey, "base64url"), counter: passkey.signCount, transports: passkey.transports as AuthenticatorTransportFuture[] },
      });
    } catch {
      return failed;
    }
    if (!verification.verified) return failed;
    // Two requests racing with one credential: only the one whose counter write lands is a login.
    if (!(await this.credentials.recordUse(passkey, verification.authenticationInfo.newCounter))) return failed;
    await decision?.ticket.succeeded();
    return { ok: true, user, passkey };
  }

  private reportRegression(event: { userId: number; passkey: string; stored: number; received: number }): void {
    if (this.options.onCounterRegression) return this.options.onCounterRegression(event);
    console.warn(
      `piccolo-ts: refused a passkey login: passkey ${JSON.stringify(event.passkey)} of user ${event.userId} sent signature counter ${event.received}, not above the stored ${event.stored} (a cloned authenticator?).`,
    );
  }
}
