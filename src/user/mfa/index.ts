export { MfaAuthenticator } from "./authenticator.js";
export type { MfaOptions, PendingEnrollment, MfaStatus, MfaCheck } from "./authenticator.js";
export { createMfaEncryption, generateMfaKey, MFA_KEY_VARIABLE } from "./encryption.js";
export type { MfaEncryption, MfaEncryptionOptions, MfaEncryptionProvider } from "./encryption.js";
export { mfaAuthenticatorApp, AUTHENTICATOR_SECRET_TABLE } from "./migrations.js";
export { generateTotpSecret, totpCode, provisioningUri, normalizeTotpCode, DEFAULT_MFA_ISSUER } from "./totp.js";
export { generateRecoveryCodes, hashRecoveryCodes, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from "./recovery-codes.js";
export { qrCodeSvg } from "./qr.js";
