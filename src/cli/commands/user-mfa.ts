// `piccolo user mfa <action> [username]`: two-factor authentication from the command line.
//   status <username>   whether the user is enrolled, since when, recovery codes left
//   enroll <username>   shows a QR code and the secret, asks for the app's code, then prints the 8
//                       recovery codes; with --json it enrolls at once and prints secret, URI and codes
//                       (provisioning: the only time they are shown)
//   revoke <username>   turns it off (asks first unless --yes)
//   rekey               re-encrypts every stored secret under a new key (PICCOLO_MFA_NEW_KEY or
//                       --new-key-stdin; --new-provider to change provider)
//   key                 prints a new random key for PICCOLO_MFA_KEY
// The key comes from PICCOLO_MFA_KEY (provider: PICCOLO_MFA_PROVIDER, default xchacha20).
import { renderUnicodeCompact } from "uqr";
import { MfaError, UserNotFoundError } from "../../errors.js";
import type { MfaEncryptionProvider } from "../../user/mfa/encryption.js";
import { addSecret, CliError, formatTimestamp, print, printJson, UsageError } from "../output.js";
import { InputEndedError, prompter } from "../prompts.js";
import type { CommandInput } from "../types.js";
import { warnIfUserMigrationsPending } from "../users.js";

const ACTIONS = ["status", "enroll", "revoke", "rekey", "key"];
const PROVIDERS: MfaEncryptionProvider[] = ["xchacha20", "fernet", "plain"];

function providerOf(value: unknown, source: string): MfaEncryptionProvider {
  if (value === undefined || value === "") return "xchacha20";
  if (PROVIDERS.includes(value as MfaEncryptionProvider)) return value as MfaEncryptionProvider;
  throw new UsageError(`${source} must be xchacha20, fernet or plain, not ${JSON.stringify(value)}.`);
}

export async function run(input: CommandInput): Promise<number | void> {
  const action = input.args[0] ?? "";
  if (!ACTIONS.includes(action)) throw new UsageError(`Unknown action ${JSON.stringify(action)}: use ${ACTIONS.join(", ")}.`);
  const mfa = await import("../../user/mfa/index.js");
  if (action === "key") {
    const provider = providerOf(input.options.provider, "--provider");
    if (provider === "plain") throw new UsageError("The plain provider has no key.");
    const key = mfa.generateMfaKey(provider);
    if (input.json) printJson({ provider, key });
    else print(key);
    return;
  }
  addSecret(process.env.PICCOLO_MFA_KEY);
  const { BaseUser } = await import("../../user/base-user.js");
  BaseUser.database = input.db;
  const provider = providerOf(process.env.PICCOLO_MFA_PROVIDER, "PICCOLO_MFA_PROVIDER");
  const authenticator = new mfa.MfaAuthenticator({ encryption: { provider }, users: BaseUser });
  await warnIfUserMigrationsPending(input.db);

  if (action === "rekey") return rekey(input, authenticator, mfa.createMfaEncryption);
  const username = input.args[1];
  if (!username) throw new UsageError(`piccolo user mfa ${action} needs a username.`);
  const user = await BaseUser.getUser(username);
  if (!user) throw new UserNotFoundError(username);

  if (action === "status") {
    const status = await authenticator.status(user.id);
    if (input.json) printJson({ username: user.username, ...status });
    else if (!status.enrolled) print(`${user.username}: two-factor authentication is off`);
    else print(`${user.username}: two-factor authentication is on since ${formatTimestamp(status.since)}, ${status.recoveryCodesLeft} recovery code(s) left, last used ${formatTimestamp(status.lastUsedAt)}`);
    return;
  }
  if (action === "revoke") {
    if (input.options.yes !== true && !(await confirm(`Turn off two-factor authentication for ${user.username}? [y/N]`))) {
      print("Nothing changed.");
      return;
    }
    if (!(await authenticator.revoke(user.id))) throw new MfaError(`${user.username} has no two-factor authentication to revoke.`);
    if (input.json) printJson({ username: user.username, revoked: true });
    else print(`Two-factor authentication is off for ${user.username}`);
    return;
  }
  if (input.json) {
    // Provisioning: the secret goes straight into the user's app, so no code can confirm it here.
    const enrolled = await authenticator.enroll(user.id);
    printJson({ username: user.username, ...enrolled });
    return;
  }
  const started = await authenticator.beginEnrollment(user.id);
  print("Scan this QR code with an authenticator app, or type the secret into it:");
  print(renderUnicodeCompact(started.uri));
  print(`Secret: ${started.secret}`);
  const ask = prompter();
  for (let attempt = 1; attempt <= 3; attempt++) {
    const code = await ask.text("Enter the 6-digit code the app shows:");
    const done = await authenticator.confirmEnrollment(user.id, started.pending, code);
    if (done) {
      print(`Two-factor authentication is on for ${user.username}. Recovery codes (each works once; shown only now):`);
      for (const recovery of done.recoveryCodes) print(`  ${recovery}`);
      return;
    }
    print("That code is not right (check the phone's clock).");
  }
  throw new CliError("Three wrong codes: two-factor authentication stays off.", { code: "MFA_NOT_CONFIRMED", hint: "Run the command again." });
}

async function confirm(question: string): Promise<boolean> {
  try {
    return await prompter().confirm(question);
  } catch (error) {
    if (!(error instanceof InputEndedError)) throw error;
    throw new CliError(`Standard input ended before "${question}" was answered.`, { code: "INPUT_ENDED", hint: "Add --yes to answer yes." });
  }
}

async function rekey(
  input: CommandInput,
  authenticator: import("../../user/mfa/index.js").MfaAuthenticator,
  createEncryption: typeof import("../../user/mfa/index.js").createMfaEncryption,
): Promise<number | void> {
  const provider = providerOf(input.options.new_provider ?? authenticator.encryption.provider, "--new-provider");
  let key = process.env.PICCOLO_MFA_NEW_KEY;
  if (input.options.new_key_stdin === true) key = (await prompter().readStdinLine()) ?? "";
  addSecret(key);
  if (provider !== "plain" && !key) {
    throw new UsageError("rekey needs the new key: set PICCOLO_MFA_NEW_KEY or pass --new-key-stdin (generate one with `piccolo user mfa key`).");
  }
  const target = createEncryption({ provider, ...(key ? { key } : {}) });
  const outcome = await authenticator.rekey(target);
  if (input.json) printJson(outcome);
  else print(`Re-encrypted ${outcome.rekeyed} secret(s); ${outcome.unchanged} already used the new key; ${outcome.failed} could not be decrypted with the current key.`);
  if (outcome.failed > 0) return 1;
  if (!input.json) print("Now set PICCOLO_MFA_KEY to the new key everywhere (and PICCOLO_MFA_PROVIDER if it changed).");
}
