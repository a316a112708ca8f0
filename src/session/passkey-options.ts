/** The `passkeys` option of the session layer and the admin (needs the `passkeys` migration app). */
export interface PasskeyOptions {
  /**
   * The relying party id: the domain passkeys are bound to (`example.com` serves `example.com` and its
   * subdomains). Default: the host name the browser used (after `allowedHosts` and trusted proxies).
   * It cannot change later without every passkey being registered again.
   */
  rpID?: string;
  /** The name authenticators show for this site (default `piccolo-ts`). */
  rpName?: string;
  /** The origins a ceremony may come from (`https://admin.example.com`). Default: the request's origin, as the deployment options say. */
  origins?: readonly string[];
  /** Sign in with a passkey instead of username and password (default true). */
  passwordless?: boolean;
  /** After a right password, a user with a passkey must use it (or a TOTP code) — it satisfies `requireMfa` (default true). */
  secondFactor?: boolean;
  /** Told when a passkey's signature counter went backwards (the login is refused); default a warning on stderr. */
  onCounterRegression?: (event: { userId: number; passkey: string; stored: number; received: number }) => void;
}
