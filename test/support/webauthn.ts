// A software authenticator for HTTP-level passkey tests, where a browser cannot go (a public origin
// behind a proxy, a forged origin): an ES256 key pair, its COSE public key, and assertions signed over
// authenticatorData ‖ SHA-256(clientDataJSON) as WebAuthn says, with user presence and verification set.
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

export class SoftAuthenticator {
  readonly credentialId = b64(randomBytes(16));
  counter = 0;
  private readonly keys = generateKeyPairSync("ec", { namedCurve: "P-256" });

  /** The COSE_Key (CBOR map: kty EC2, alg ES256, crv P-256, x, y), base64url, as the credential table keeps it. */
  coseKey(): string {
    const jwk = this.keys.publicKey.export({ format: "jwk" });
    const coordinate = (text: string | undefined) => Buffer.concat([Buffer.from([0x58, 0x20]), Buffer.from(text!, "base64url")]);
    return b64(Buffer.concat([Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]), coordinate(jwk.x), Buffer.from([0x22]), coordinate(jwk.y)]));
  }

  /** An assertion for `challenge` as a browser at `origin` would send it (the counter moves forward first). */
  assertion(challenge: string, rpId: string, origin: string): Record<string, unknown> {
    this.counter += 1;
    const clientDataJSON = Buffer.from(JSON.stringify({ type: "webauthn.get", challenge, origin, crossOrigin: false }), "utf8");
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    const authenticatorData = Buffer.concat([createHash("sha256").update(rpId).digest(), Buffer.from([0x05]), counter]);
    const signature = sign("sha256", Buffer.concat([authenticatorData, createHash("sha256").update(clientDataJSON).digest()]), this.keys.privateKey);
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: "public-key",
      response: { clientDataJSON: b64(clientDataJSON), authenticatorData: b64(authenticatorData), signature: b64(signature) },
      clientExtensionResults: {},
    };
  }
}
