// Sessions shared with a Python app (`tokens: "piccolo"`): the token stored as piccolo_api stores it (as
// is) and the dates in its naive wall-clock form, the local time of the Python process. The default,
// `"digest"`, keeps SHA-256 digests and naive UTC dates, which piccolo_api cannot use (see the README).
import { createHash } from "node:crypto";
import { parseTimestamp, toStoredTimestamp } from "../engine/values.js";
import { ConfigError } from "../errors.js";

/** How session tokens are stored: `"digest"` (default) or `"piccolo"` (as is, shared with piccolo_api). */
export type SessionTokenStorage = "digest" | "piccolo";

/** The SHA-256 digest the `"digest"` mode stores, as 64 hex characters. */
export function sha256Hex(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function checkTokenStorage(storage: unknown): SessionTokenStorage {
  if (storage === undefined || storage === "digest") return "digest";
  if (storage === "piccolo") return "piccolo";
  throw new ConfigError('tokens must be "digest" or "piccolo".');
}

/** The time zone whose wall clock Python writes: the option, else this process's (its TZ). */
export function checkTimeZone(timeZone: string | undefined): string {
  const zone = timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    throw new ConfigError(`Unknown time zone ${JSON.stringify(zone)}: use an IANA name such as Europe/Berlin.`);
  }
  return zone;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClockParts(date: Date, timeZone: string): number[] {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
  return [Number(parts.year), Number(parts.month), Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)];
}

/** The wall-clock reading of `date` in `timeZone`, as the same instant's "UTC-shaped" milliseconds. */
function wallClockMs(date: Date, timeZone: string): number {
  const [y, mo, d, h, mi, s] = wallClockParts(date, timeZone);
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, date.getUTCMilliseconds());
}

/** Python's `str(datetime.now())` in `timeZone` for `date`: `2026-12-06 16:36:11.168000`. */
export function toWallClock(date: Date, timeZone: string): string {
  return toStoredTimestamp(new Date(wallClockMs(date, timeZone)));
}

/**
 * The instant a naive wall-clock text in `timeZone` names (text with an offset is taken as it says). In a
 * repeated hour (autumn change) the earlier instant is chosen; a skipped hour maps an hour on.
 */
export function fromWallClock(value: unknown, timeZone: string): Date | null {
  const naive = parseTimestamp(value);
  if (!naive) return null;
  if (typeof value === "string" && /(?:Z|[+-]\d{2}(?::?\d{2})?)$/.test(value.trim()) && /\d[ T]\d/.test(value)) return naive;
  let guess = naive.getTime();
  for (let i = 0; i < 2; i++) guess = naive.getTime() - (wallClockMs(new Date(guess), timeZone) - guess);
  const earlier = guess - 3_600_000;
  return new Date(wallClockMs(new Date(earlier), timeZone) === naive.getTime() ? earlier : guess);
}

/** How a store writes and reads its rows' token and dates, in one of the two forms. */
export interface SessionRowFormat {
  readonly tokens: SessionTokenStorage;
  /** What the `token` column holds for a token. */
  stored(token: string): string;
  writeDate(date: Date): string;
  readDate(value: unknown): Date | null;
}

export function sessionRowFormat(tokens: unknown, sharedTimeZone: string | undefined): SessionRowFormat {
  const storage = checkTokenStorage(tokens);
  if (storage === "digest") {
    return { tokens: storage, stored: sha256Hex, writeDate: (date) => toStoredTimestamp(date), readDate: parseTimestamp };
  }
  const zone = checkTimeZone(sharedTimeZone);
  return {
    tokens: storage,
    stored: (token) => token,
    writeDate: (date) => toWallClock(date, zone),
    readDate: (value) => fromWallClock(value, zone),
  };
}
