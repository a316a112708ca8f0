// `piccolo user mfa …`: status, enroll (--json provisioning; the interactive form needs a right code),
// revoke, rekey and key, run as the real binary against each engine.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BaseUser, MfaAuthenticator, closeDatabases } from "piccolo-ts";
import { generateMfaKey, totpCode } from "./support/internals.js";
import { boundTo, piccolo } from "./support/cli.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";

after(() => closeDatabases());

const KEY = generateMfaKey();

for (const engine of testEngines) {
  describe(`piccolo user mfa on ${engine}`, () => {
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    let run: ReturnType<typeof boundTo>;

    it("prepares a database with a user", async () => {
      const url = await migratedDatabaseUrl(engine, "session_auth", "mfa_authenticator");
      TestUser.database = url;
      await TestUser.createUser({ username: "bob", password: "bob-s3cret", email: "bob@example.com", active: true });
      run = boundTo(url, "--db", { env: { PICCOLO_MFA_KEY: KEY } });
    });

    it("refuses to start without a key, in one line that says what to set", async () => {
      const result = await run(["user", "mfa", "status", "bob"], { env: { PICCOLO_MFA_KEY: undefined } });
      assert.equal(result.code, 1);
      assert.equal(result.stderr.trim().split("\n").length, 1);
      assert.match(result.stderr, /needs a xchacha20 key: set PICCOLO_MFA_KEY/);
      const wrong = await run(["user", "mfa", "status", "bob"], { env: { PICCOLO_MFA_KEY: "not-a-key" } });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /64 hex digits/);
    });

    it("enroll --json provisions once (secret, URI, 8 codes); status, revoke, and rekey to a new key", async () => {
      const enrolled = await run(["user", "mfa", "enroll", "bob", "--json"]);
      assert.equal(enrolled.code, 0, enrolled.stderr);
      const { secret, uri, recoveryCodes } = JSON.parse(enrolled.stdout) as { secret: string; uri: string; recoveryCodes: string[] };
      assert.match(secret, /^[A-Z2-7]{32}$/);
      assert.equal(uri, `otpauth://totp/Piccolo-MFA:bob%40example.com?secret=${secret}&issuer=Piccolo-MFA`);
      assert.equal(recoveryCodes.length, 8);

      const status = await run(["user", "mfa", "status", "bob"]);
      assert.match(status.stdout, /^bob: two-factor authentication is on since .+, 8 recovery code\(s\) left/);
      assert.ok(!status.all.includes(KEY), "the key is never printed");

      const newKey = generateMfaKey("fernet");
      const rekeyed = await run(["user", "mfa", "rekey", "--new-provider", "fernet", "--new-key-stdin", "--json"], { input: `${newKey}\n` });
      assert.equal(rekeyed.code, 0, rekeyed.stderr);
      assert.deepEqual(JSON.parse(rekeyed.stdout), { rekeyed: 1, unchanged: 0, failed: 0 });
      assert.ok(!rekeyed.all.includes(newKey));
      const oldKeyStatus = await run(["user", "mfa", "status", "bob"]);
      assert.equal(oldKeyStatus.code, 0, "status reads no secret");
      const after = new MfaAuthenticator({ encryption: { provider: "fernet", key: newKey }, users: TestUser });
      const user = (await TestUser.getUser("bob"))!;
      assert.equal((await after.verify(user.id, totpCode(secret))).ok, true);

      const revoked = await run(["user", "mfa", "revoke", "bob", "--yes"], { env: { PICCOLO_MFA_PROVIDER: "fernet", PICCOLO_MFA_KEY: newKey } });
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stdout, /Two-factor authentication is off for bob/);
      const again = await run(["user", "mfa", "revoke", "bob", "--yes"], { env: { PICCOLO_MFA_PROVIDER: "fernet", PICCOLO_MFA_KEY: newKey } });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /bob has no two-factor authentication to revoke\./);
    });

    it("interactive enroll shows a QR code and the secret, and three wrong codes leave it off", async () => {
      const result = await run(["user", "mfa", "enroll", "bob"], { input: "111111\n222222\n333333\n" });
      assert.equal(result.code, 1);
      assert.match(result.stdout, /Secret: [A-Z2-7]{32}/);
      assert.match(result.stdout, /[▀▄█]/, "a QR code drawn in the terminal");
      assert.match(result.stderr, /Three wrong codes/);
      const status = await run(["user", "mfa", "status", "bob", "--json"]);
      assert.equal(JSON.parse(status.stdout).enrolled, false);
    });

    it("unknown users and actions fail clearly; key prints a new key", async () => {
      const unknown = await run(["user", "mfa", "status", "nobody"]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /User nobody doesn't exist!/);
      const action = await run(["user", "mfa", "disable", "bob"]);
      assert.equal(action.code, 2);
      const key = await piccolo(["user", "mfa", "key"]);
      assert.match(key.stdout.trim(), /^[0-9a-f]{64}$/);
    });
  });
}
