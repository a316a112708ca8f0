import { ValidationError } from "../errors.js";
import { HASH_ALGORITHM } from "../password/hasher.js";

/** Limits a user class can change by subclassing BaseUser. */
export interface UserLimits {
  /** Shortest password accepted. */
  minPasswordLength: number;
  /** Longest password accepted. */
  maxPasswordLength: number;
  /** Longest username accepted. */
  maxUsernameLength: number;
}

/** Column widths of piccolo_user (varchar(255)). */
export const MAX_EMAIL_LENGTH = 255;
export const MAX_NAME_LENGTH = 255;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL_CHARACTER = /[\p{Cc}\u2028\u2029]/u;

/**
 * True when `text` has more than `max` characters (code points, as Python and the databases count).
 * Decided from the UTF-16 length alone where it can be, so a 1 MB string costs no scan.
 */
export function exceedsLength(text: string, max: number): boolean {
  if (text.length <= max) return false;
  if (text.length > max * 2) return true;
  let count = 0;
  for (const _ of text) if (++count > max) return true;
  return false;
}

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/**
 * False for text no stored value can equal: NUL (PostgreSQL cannot even compare it) or a lone
 * surrogate (it has no UTF-8 form; the driver would send U+FFFD and match a different name).
 */
export function isComparableText(text: string): boolean {
  return !text.includes("\0") && !hasLoneSurrogate(text);
}

/** The id column is a 32-bit signed integer on every engine: anything else names nobody. */
export function isStorableId(id: number): boolean {
  return Number.isInteger(id) && id >= -2_147_483_648 && id <= 2_147_483_647;
}

/** Piccolo's password rules and messages, checked before any hashing or query. */
export function validatePassword(password: unknown, limits: UserLimits): asserts password is string {
  if (typeof password !== "string" || password === "") {
    throw new ValidationError("A password must be provided.", "password");
  }
  if (exceedsLength(password, limits.maxPasswordLength)) {
    throw new ValidationError(`The password is too long. (max ${limits.maxPasswordLength})`, "password");
  }
  if (!exceedsLength(password, limits.minPasswordLength - 1)) {
    throw new ValidationError(`The password is too short. (min ${limits.minPasswordLength})`, "password");
  }
  if (password.startsWith(HASH_ALGORITHM)) {
    throw new ValidationError("Do not pass a hashed password.", "password");
  }
  // HMAC pads a short key with NUL bytes, so "abc123" and "abc123\0" would be the same password.
  if (password.includes("\0")) {
    throw new ValidationError("The password must not contain the NUL character.", "password");
  }
  // A lone surrogate has no UTF-8 form: two different passwords would hash the same.
  if (hasLoneSurrogate(password)) {
    throw new ValidationError("The password contains an invalid character (a lone UTF-16 surrogate).", "password");
  }
}

/**
 * Usernames compare exactly (case and every character count) on every engine. Control characters,
 * lone surrogates and leading or trailing white space are refused: they cannot be typed back at a
 * login prompt, PostgreSQL cannot store NUL, and MySQL would ignore trailing spaces in comparisons.
 */
export function validateUsername(username: unknown, limits: UserLimits): asserts username is string {
  if (typeof username !== "string" || username === "") {
    throw new ValidationError("A username must be provided.", "username");
  }
  if (exceedsLength(username, limits.maxUsernameLength)) {
    throw new ValidationError(`The username is too long. (max ${limits.maxUsernameLength})`, "username");
  }
  checkText(username, "username");
  if (username.trim() === "") throw new ValidationError("A username must be provided.", "username");
  if (username.trim() !== username) {
    throw new ValidationError("The username must not start or end with white space.", "username");
  }
  if (DECEPTIVE_CHARACTER.test(username)) {
    throw new ValidationError(
      "The username must not contain invisible or direction-changing characters (such as U+202E or U+200B).",
      "username",
    );
  }
}

/**
 * Characters that make a name display as another: bidirectional controls (`\u202Enimda` shows as
 * "admin") and zero-width characters. A zero-width joiner is allowed only inside an emoji sequence.
 */
const DECEPTIVE_CHARACTER =
  /[\u061C\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|(?<!\p{Extended_Pictographic}[\uFE0F\u{1F3FB}-\u{1F3FF}]?)\u200D|\u200D(?!\p{Extended_Pictographic})/u;

/** An optional search text for user listings: bounded, and no character that cannot be stored. */
export function validateSearch(search: unknown): string | undefined {
  if (search === undefined || search === null || search === "") return undefined;
  if (typeof search !== "string") throw new ValidationError("The search must be a string.", "search");
  if (exceedsLength(search, MAX_NAME_LENGTH)) {
    throw new ValidationError(`The search is too long. (max ${MAX_NAME_LENGTH})`, "search");
  }
  checkText(search, "search");
  return search;
}

function checkText(text: string, field: string): void {
  if (CONTROL_CHARACTER.test(text)) {
    throw new ValidationError(`The ${field} must not contain control characters.`, field);
  }
  if (hasLoneSurrogate(text)) {
    throw new ValidationError(`The ${field} contains an invalid character (a lone UTF-16 surrogate).`, field);
  }
}

/** Email is optional (stored as '' like Piccolo); when given it fits the column and holds no control characters. */
export function validateEmail(email: unknown): string {
  if (email === undefined || email === null) return "";
  if (typeof email !== "string") throw new ValidationError("The email must be a string.", "email");
  if (exceedsLength(email, MAX_EMAIL_LENGTH)) {
    throw new ValidationError(`The email is too long. (max ${MAX_EMAIL_LENGTH})`, "email");
  }
  checkText(email, "email");
  if (email.trim() !== email) {
    throw new ValidationError("The email must not start or end with white space.", "email");
  }
  return email;
}

export function validateName(name: unknown, field: "first_name" | "last_name"): string | null {
  if (name === undefined) return "";
  if (name === null) return null;
  if (typeof name !== "string") throw new ValidationError(`The ${field} must be a string.`, field);
  if (exceedsLength(name, MAX_NAME_LENGTH)) {
    throw new ValidationError(`The ${field} is too long. (max ${MAX_NAME_LENGTH})`, field);
  }
  checkText(name, field);
  return name;
}

export function validateFlag(value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw new ValidationError(`\`${field}\` must be true or false.`, field);
  return value;
}

/** A user is named by id (a positive integer) or username (a string), as in Piccolo. */
export function validateUserRef(user: unknown): string | number {
  if (typeof user === "number" && Number.isSafeInteger(user)) return user;
  if (typeof user === "string") return user;
  throw new ValidationError("The `user` arg must be a user id, or a username.", "user");
}

// Piccolo's spellings of a boolean (t/true/True, f/false/False) plus 1/0, yes/no, y/n; any letter case.
const TRUE_WORDS = new Set(["t", "true", "1", "yes", "y"]);
const FALSE_WORDS = new Set(["f", "false", "0", "no", "n"]);

/** The boolean a word spells (the CLI's flags, an import file's columns), or undefined when it spells none. */
export function booleanFromWord(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}
