/**
 * How values look on disk, as Piccolo stores them: SQLite keeps booleans as 1/0 and timestamps as
 * naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff`; PostgreSQL and MySQL get the same text for their
 * timestamp columns, read back as text (see connect.ts) so no driver applies a time zone.
 */

/** Piccolo reads only 1 (or a real boolean true) as true: a text 'true' in SQLite is false. */
export function booleanFromDatabase(value: unknown): boolean {
  return value === true || value === 1 || value === 1n;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Python's `str(datetime)`: the fraction is left out when it is zero. */
export function toStoredTimestamp(date: Date, microseconds = date.getUTCMilliseconds() * 1000): string {
  const base =
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  return microseconds === 0 ? base : `${base}.${pad(microseconds, 6)}`;
}

/** Reads a naive timestamp (space or `T`, any fraction, optional zone) as UTC. */
export function parseTimestamp(value: unknown): Date | null {
  if (value === null || value === undefined || value === "") return null;
  if (value instanceof Date) return value;
  const match =
    /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      String(value).trim(),
    );
  if (!match) {
    const fallback = new Date(String(value));
    return Number.isNaN(fallback.getTime()) ? null : fallback;
  }
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const ms = fraction ? Number(fraction.slice(0, 3).padEnd(3, "0")) : 0;
  let time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), ms);
  if (zone && zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    time -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60_000;
  }
  return new Date(time);
}

let lastMicros = 0n;

/**
 * Now, as stored text with microseconds. Strictly increasing within a process, so rows written in
 * one run (migration records ordered by `ran_on`) never tie.
 */
export function nowTimestamp(): string {
  const wallMicros = BigInt(Date.now()) * 1000n;
  const hrMicros = (process.hrtime.bigint() / 1000n) % 1000n;
  let micros = wallMicros + hrMicros;
  if (micros <= lastMicros) micros = lastMicros + 1n;
  lastMicros = micros;
  return toStoredTimestamp(new Date(Number(micros / 1000n)), Number(micros % 1_000_000n));
}
