// Hostile inputs for the property-based tests (test/hostile*.test.ts): fast-check arbitraries for every
// input class the issue lists, and a model of our validation rules (written from the documented rules) that says
// what each call must do, so a test can tell "refused as it should be" from "refused by accident".
import fc from "fast-check";

// ---- the input classes --------------------------------------------------------------------------

const MB = 1 << 20;

/** 1 MB strings (UTF-16 units): plain, multi-byte, astral, NUL, white space, SQL. Built once. */
export const HUGE_STRINGS: readonly string[] = [
  "a".repeat(MB),
  "é".repeat(MB),
  "😀".repeat(MB / 2),
  "\u0000".repeat(MB),
  " ".repeat(MB),
  `${"x".repeat(MB - 14)}' OR '1'='1`,
  `pbkdf2_sha256$600000$${"0".repeat(32)}$${"f".repeat(MB)}`,
];

const WHITESPACE = [" ", "\t", "\n", "\r", "\u000b", "\u000c", "\u00a0", "\u1680", "\u2003", "\u2028", "\u2029", "\u202f", "\u3000", "\ufeff"];
const CONTROLS = ["\u0000", "\u0001", "\u0007", "\u0008", "\u001b", "\u001b[31m", "\u001b]0;title\u0007", "\u007f", "\u0085", "\u009b", "\r\n"];
const LONE_SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "\udc00\ud800"];
const EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "1️⃣", "🏳️‍🌈", "\u{1f9d1}\u{200d}\u{1f4bb}", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\u{10ffff}", "\u{e0041}"];
const COMBINING = ["e\u0301", "\u00e9", "a\u0308\u0308\u0308\u0308", "Z\u0351\u0364\u0303\u036b", "\u0301", "n\u0303", "\u1100\u1161\u11a8", "i\u0307", "\u0130", "\u00df", "\ufb01"];
const RTL = ["שלום", "مرحبا", "\u202eevil\u202c", "\u200fabc", "\u200e", "abc\u202edcba", "\u061c", "עברית123"];
const SQL = ["'", "''", '"', "`", ";", "--", "/*", "*/", "%", "_", "\\", "\\'", "!", "$$", "' OR '1'='1", "'); DROP TABLE piccolo_user;--", "\\0", "E'\\x00'", "1; SELECT pg_sleep(10)", "' UNION SELECT password FROM piccolo_user--", "%_%", "!%", "[a-z]"];
const SHELL = ["$(id)", "`id`", "${IFS}", "|", "&&", ">", "<", "*", "~", "!!", "; rm -rf /", "$HOME", "\\", "-", "--help", "-h", "--db=x", "=", "'\"'\"'"];
const HASH_LOOKALIKES = [
  "pbkdf2_sha256",
  "pbkdf2_sha256$",
  `pbkdf2_sha256$600000$${"0123456789abcdef".repeat(2)}$${"ab".repeat(32)}`,
  `pbkdf2_sha256$1$a$${"0".repeat(64)}`,
  "PBKDF2_SHA256$600000$salt$hash",
  " pbkdf2_sha256$600000$salt$hash",
  "pbkdf2_sha1$10000$salt$hash",
  "pbkdf2_sha256$0$x$y",
  "pbkdf2_sha256$99999999999$x$y",
  "bcrypt$$2b$12$abcdefghijklmnopqrstuv",
  "argon2$argon2id$v=19$m=65536",
  "md5$salt$hash",
];
const NUMBER_STRINGS = ["0", "1", "-1", "007", "1e3", "1.5", "-0", "NaN", "Infinity", "0x10", "9007199254740993", "2147483648", " 1", "１２３", "٣"];
const PLAIN = ["bob", "alice", "Bob", "ALICE", "root", "admin", "user@example.com", "a.b+c@d.e", "John", "O'Brien", "null", "undefined", "true"];

const pieces = (list: readonly string[]) => fc.constantFrom(...list);

/** The input classes a legal value may hold too, with their weights. */
const sharedClasses = [
  { weight: 4, arbitrary: pieces(PLAIN) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 8 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
  { weight: 2, arbitrary: pieces(EMOJI) },
  { weight: 2, arbitrary: pieces(COMBINING) },
  { weight: 2, arbitrary: pieces(RTL) },
  { weight: 2, arbitrary: pieces(SQL) },
  { weight: 2, arbitrary: pieces(SHELL) },
  { weight: 1, arbitrary: pieces(HASH_LOOKALIKES) },
  { weight: 2, arbitrary: pieces(NUMBER_STRINGS) },
];

/** One fragment of some input class (no huge strings: those come whole). */
const fragment = fc.oneof(
  ...sharedClasses,
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 4 }) },
  { weight: 1, arbitrary: pieces(WHITESPACE) },
  { weight: 1, arbitrary: pieces(CONTROLS) },
  { weight: 1, arbitrary: pieces(LONE_SURROGATES) },
);

/** A hostile string: empty, a mix of fragments from every class, a run of one class, or 1 MB. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant("") },
  { weight: 12, arbitrary: fc.array(fragment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join("")) },
  { weight: 2, arbitrary: fc.array(pieces(WHITESPACE), { minLength: 1, maxLength: 4 }).map((parts) => parts.join("")) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 130 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...HUGE_STRINGS), fc.nat(20)).map(([text, cut]) => text.slice(cut)) },
  { weight: 1, arbitrary: fc.integer({ min: 95, max: 135 }).chain((n) => fc.constantFrom("x", "é", "😀", "e\u0301").map((c) => c.repeat(n))) },
);

/** Fragments a legal value may hold: every class but control characters and lone surrogates. */
const legalFragment = fc.oneof(
  ...sharedClasses,
  { weight: 1, arbitrary: pieces(WHITESPACE.filter((c) => !/[\p{Cc}\u2028\u2029]/u.test(c))) },
).map((text) => text.replace(/[\p{Cc}\u2028\u2029]/gu, ""));

/** Awkward but legal text of at most `max` characters, no outer white space: most of these must be stored. */
export function legalText(max: number): fc.Arbitrary<string> {
  return fc
    .array(legalFragment, { minLength: 1, maxLength: 6 })
    .map((parts) => [...parts.join("").trim()].slice(0, max).join("").trim())
    .filter((text) => text !== "");
}

/** Numbers where strings belong (and odd numbers where numbers belong). */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, 2 ** 53, 1e308),
  fc.integer(),
  fc.double(),
);

/** Anything at all where a string or boolean belongs: wrong types, look-alikes of the right one. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(undefined, null, true, false, "true", "false", "t", "1", 0, 1, [], {}, ["x"], 10n) },
);

/** A value for a boolean flag: mostly real booleans, sometimes their look-alikes. */
export const hostileFlag: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>(undefined, true, false) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, "true", "false", "t", "yes", 1, 0, "1", "", NaN, [], {}) },
);

/** A strong-enough password drawn from the hostile classes, so most cases reach the database. */
export const plausiblePassword: fc.Arbitrary<string> = fc.oneof(
  fc.array(fragment, { minLength: 2, maxLength: 6 }).map((parts) => parts.join("")),
  fc.string({ unit: "binary", minLength: 6, maxLength: 40 }),
);

/** Variations an attacker tries on a known string: case, normalisation, padding, truncation, NUL. */
export function mutations(text: string): fc.Arbitrary<string> {
  return fc.constantFrom(
    text,
    text.toUpperCase(),
    text.toLowerCase(),
    text.normalize("NFD"),
    text.normalize("NFKC"),
    `${text} `,
    ` ${text}`,
    `${text}\u0000`,
    `${text}\u0000x`,
    text.slice(0, -1),
    `${text}\ud800`,
    text.replace(/./u, "_"),
    `${text}%`,
    text.replace(/[^]$/u, "\u00a0"),
  );
}

// ---- the model of our rules ---------------------------------------------------------------------
//
// Written from the rules as documented (README "Rules" table and /work/shared/PICCOLO.md "Rules and
// messages"), character by character, not from src/user/validation.ts: if the code's patterns were wrong,
// a model built from the same patterns would be wrong with them.
//   - lengths count characters, i.e. code points (Python and the databases count so);
//   - password: 6..128 characters, not starting with `pbkdf2_sha256`, no NUL (HMAC pads keys with NUL, so
//     "abc123" and "abc123\0" would be one password), nothing without a UTF-8 form (a lone surrogate);
//   - username: required, at most 100 characters, no control characters, no leading/trailing white space;
//   - email: optional, at most 255 characters; first/last name: at most 255 characters;
//   - username, also: nothing invisible or direction-changing that would make it display as another name
//     (bidirectional marks, embeddings, overrides and isolates; zero-width space, non-joiner, word joiner,
//     invisible operators, BOM); a zero-width joiner only where it joins two emoji (an emoji ZWJ sequence,
//     Unicode TS #51: an emoji, optionally with VS16 or a skin-tone modifier, ZWJ, an emoji);
//   - control characters: Unicode's Cc (C0 U+0000–U+001F, DEL U+007F, C1 U+0080–U+009F) and the two
//     separators U+2028/U+2029, which end a line as a terminal or a log shows it.

export const LIMITS = { username: 100, email: 255, name: 255, minPassword: 6, maxPassword: 128 } as const;

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

function isControlCodePoint(cp: number): boolean {
  return cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029;
}

/** White space as a user sees it (Unicode White_Space, plus the BOM U+FEFF that editors leave at the start). */
const WHITE_SPACE_CODE_POINTS = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff,
]);

export function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    if (isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1))) i++;
    count++;
  }
  return count;
}

export function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isControlCodePoint(text.charCodeAt(i))) return true;
  return false;
}

/** A UTF-16 surrogate without its partner: a high one not followed by a low one, or a low one alone. */
export function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (isHighSurrogate(unit)) {
      if (!isLowSurrogate(text.charCodeAt(i + 1))) return true;
      i++;
    } else if (isLowSurrogate(unit)) {
      return true;
    }
  }
  return false;
}

/** Bidirectional formatting characters (Unicode's Bidi_Control) and invisible zero-width ones, ZWJ aside. */
const DECEPTIVE_CODE_POINTS = new Set([
  0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
  0x200b, 0x200c, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xfeff,
]);
const ZWJ = 0x200d;
const VS16 = 0xfe0f;
const isSkinToneModifier = (cp: number) => cp >= 0x1f3fb && cp <= 0x1f3ff;
// Extended_Pictographic is a Unicode property (the emoji): asked of the property, one character at a time.
const isEmoji = (cp: number | undefined) => cp !== undefined && /^\p{Extended_Pictographic}$/u.test(String.fromCodePoint(cp));

/** True when the username holds a character that could make it display as another name. */
export function hasDeceptiveCharacter(text: string): boolean {
  const cps = [...text].map((c) => c.codePointAt(0)!);
  return cps.some((cp, i) => {
    if (DECEPTIVE_CODE_POINTS.has(cp)) return true;
    if (cp !== ZWJ) return false;
    let before = i - 1;
    if (cps[before] === VS16 || isSkinToneModifier(cps[before] ?? -1)) before--;
    return !(isEmoji(cps[before]) && isEmoji(cps[i + 1]));
  });
}

/** True when the text begins or ends with white space (the empty string does neither). */
function hasOuterWhiteSpace(text: string): boolean {
  if (text === "") return false;
  return WHITE_SPACE_CODE_POINTS.has(text.charCodeAt(0)) || WHITE_SPACE_CODE_POINTS.has(text.charCodeAt(text.length - 1));
}

function onlyWhiteSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!WHITE_SPACE_CODE_POINTS.has(text.charCodeAt(i))) return false;
  return true;
}

/** The username rules: required (not empty, not only white space), ≤ 100 characters, no control characters or lone surrogates, no outer white space. */
export function usernameOk(value: unknown): value is string {
  return (
    typeof value === "string" &&
    !onlyWhiteSpace(value) &&
    codePoints(value) <= LIMITS.username &&
    !hasControl(value) &&
    !hasLoneSurrogate(value) &&
    !hasOuterWhiteSpace(value) &&
    !hasDeceptiveCharacter(value)
  );
}

export function passwordOk(value: unknown): value is string {
  return (
    typeof value === "string" &&
    codePoints(value) >= LIMITS.minPassword &&
    codePoints(value) <= LIMITS.maxPassword &&
    value.slice(0, "pbkdf2_sha256".length) !== "pbkdf2_sha256" &&
    value.indexOf("\u0000") === -1 &&
    !hasLoneSurrogate(value)
  );
}

/** The email as it will be stored, or `invalid`. */
export function storedEmail(value: unknown): string | typeof INVALID {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") return INVALID;
  if (codePoints(value) > LIMITS.email || hasControl(value) || hasLoneSurrogate(value) || hasOuterWhiteSpace(value)) return INVALID;
  return value;
}

/** first_name / last_name as they will be stored, or `invalid`. */
export function storedName(value: unknown): string | null | typeof INVALID {
  if (value === undefined) return "";
  if (value === null) return null;
  if (typeof value !== "string") return INVALID;
  if (codePoints(value) > LIMITS.name || hasControl(value) || hasLoneSurrogate(value)) return INVALID;
  return value;
}

export function flagOk(value: unknown): boolean {
  return value === undefined || typeof value === "boolean";
}

export const INVALID = Symbol("invalid");

/** A user reference the API accepts: a safe integer or any string. */
export function refOk(value: unknown): value is number | string {
  return typeof value === "string" || (typeof value === "number" && Number.isSafeInteger(value));
}

/** JSON.stringify leaves C1 controls, format characters and separators raw: escape them too, so a report shows them. */
function visible(json: string): string {
  return json.replace(/[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/gu, (c) =>
    c.length === 1 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}` : `\\u{${c.codePointAt(0)!.toString(16)}}`,
  );
}

/** Short, printable description of a value for failure messages (1 MB strings are summarised). */
export function describe(value: unknown): string {
  return visible(describeRaw(value));
}

function describeRaw(value: unknown): string {
  if (typeof value === "string") {
    const shown = value.length > 80 ? `${value.slice(0, 40)}…(${value.length} units)…${value.slice(-20)}` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  try {
    const text = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? `${v}n` : typeof v === "string" && v.length > 80 ? `${v.slice(0, 40)}…(${v.length} units)` : v)) ?? String(value);
    return text.length > 400 ? `${text.slice(0, 400)}…` : text;
  } catch {
    return String(value);
  }
}

/** fast-check settings shared by the property tests; PICCOLO_FC_SEED (and PICCOLO_FC_PATH) replay a failure. */
export function runSettings(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.PICCOLO_FC_SEED ? Number(process.env.PICCOLO_FC_SEED) : undefined;
  return {
    numRuns,
    ...(seed === undefined ? {} : { seed }),
    ...(process.env.PICCOLO_FC_PATH ? { path: process.env.PICCOLO_FC_PATH } : {}),
    // A run (shrinking included) that takes over 5 minutes is a hang, and a failure.
    interruptAfterTimeLimit: 5 * 60_000,
    markInterruptAsFailure: true,
    endOnFailure: false,
    maxSkipsPerRun: 0,
    // fast-check's own report prints counterexamples whole (a 1 MB string is a 1 MB line): summarise them.
    reporter(details) {
      if (!details.failed) return;
      const example = Array.isArray(details.counterexample) ? details.counterexample.map(describe).join(", ") : "(none)";
      const error = details.errorInstance;
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `Property failed after ${details.numRuns} case(s)${details.interrupted ? " (interrupted: too slow)" : ""}; ` +
          `replay with PICCOLO_FC_SEED=${details.seed} PICCOLO_FC_PATH=${details.counterexamplePath}.\n` +
          `Counterexample: ${example}\n${message.length > 2000 ? `${message.slice(0, 2000)}…` : message}`,
      );
    },
  };
}

/** `n` generated cases, times PICCOLO_HOSTILE_SCALE (default 1): raise it for a longer hunt. */
export function scaledRuns(n: number): number {
  return Math.max(1, Math.round(n * Number(process.env.PICCOLO_HOSTILE_SCALE ?? 1)));
}
