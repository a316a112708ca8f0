// The part of a client address the per-address login limits count. One IPv6 client usually holds a
// whole /64 (SLAAC, privacy addresses: any of 2^64 addresses at will), so counting full IPv6 addresses
// would give it a fresh allowance per address; an IPv4-mapped IPv6 address is the IPv4 client it maps.
import { isIP } from "node:net";
import { normaliseAddress } from "./deployment.js";

/** The eight 16-bit groups of an IPv6 address (zone id dropped, embedded IPv4 expanded), or null. */
function ipv6Groups(address: string): number[] | null {
  const text = address.replace(/%.*$/, "");
  if (isIP(text) !== 6) return null;
  let groups = text;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    groups = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = groups.includes("::") ? groups.split("::") : [groups, undefined];
  const left = head ? head.split(":") : [];
  const right = tail === undefined ? [] : tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill("0");
  const all = [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
  return all.length === 8 && all.every((group) => Number.isInteger(group)) ? all : null;
}

/**
 * What a client address counts as in the per-address limits: an IPv4 address as is, an IPv4-mapped
 * IPv6 address (`::ffff:203.0.113.7`, `::ffff:cb00:7107`) as its IPv4 address, any other IPv6 address
 * as its /64 (`2001:db8:1:2::/64`), anything else (a name from `clientAddress`) as given, lower-cased.
 *
 * @example
 * ```ts
 * rateLimitedAddress("2001:db8:1:2:aaaa::1"); // "2001:db8:1:2::/64"
 * rateLimitedAddress("::ffff:203.0.113.7");   // "203.0.113.7"
 * ```
 */
export function rateLimitedAddress(address: string): string {
  const text = normaliseAddress(address);
  const groups = ipv6Groups(text);
  if (!groups) return text;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join(".");
  }
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(":")}::/64`;
}
