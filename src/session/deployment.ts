import { BlockList, isIP } from "node:net";
import type { Context } from "hono";
import { ConfigError } from "../errors.js";

/** How the app is deployed: what to believe about the client, the scheme and the host. */
export interface DeploymentOptions {
  /**
   * Behind reverse proxies, what to believe of `X-Forwarded-For`, `-Proto` and `-Host`: `true` or a
   * number of hops (each proxy appends the address it saw; the client is that many entries from the
   * right), or the proxies' addresses and subnets (`"10.0.0.5"`, `"10.0.0.0/8"`, `"fd00::/8"`: the
   * headers count only when the socket's peer is one of them; entries that are listed proxies are
   * skipped from the right). Default: none are believed.
   */
  trustProxy?: boolean | number | readonly string[];
  /** `Secure` cookies: true (always; the CLI's `--secure`), false, or "auto" (default): when the request came over HTTPS. */
  secure?: boolean | "auto";
  /**
   * Host names this app answers to (`Host`, or `X-Forwarded-Host` from a trusted proxy); any other gets 421.
   * Default: the address the server is bound to, `localhost`, `127.0.0.1` and `::1`. A leading dot
   * (`.example.com`) allows the subdomains too; `"*"` allows any (DNS rebinding is then possible).
   */
  allowedHosts?: readonly string[];
  /** The client address for rate limiting; default as `trustProxy` says, else the socket's peer. */
  clientAddress?: (c: Context) => string | undefined;
}

type NodeSocket = { remoteAddress?: string; localAddress?: string; encrypted?: boolean };
type NodeBindings = { incoming?: { socket?: NodeSocket } };

function socketOf(c: Context): NodeSocket | undefined {
  const env = c.env as (NodeBindings & { server?: NodeBindings }) | undefined;
  return env?.incoming?.socket ?? env?.server?.incoming?.socket;
}

/** `::ffff:1.2.3.4` → `1.2.3.4`, `[::1]` → `::1`, lower case. */
export function normaliseAddress(address: string): string {
  let text = address.trim().toLowerCase();
  if (text.startsWith("[") && text.includes("]")) text = text.slice(1, text.indexOf("]"));
  if (text.startsWith("::ffff:") && text.includes(".")) text = text.slice(7);
  return text;
}

function listOf(value: string | undefined): string[] {
  return (value ?? "").split(",").map((part) => part.trim()).filter((part) => part !== "");
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];

const familyOf = (address: string) => (isIP(address) === 4 ? "ipv4" : "ipv6");

/**
 * Trusted proxies as a set of addresses and subnets (`10.0.0.5`, `[::1]`, `10.0.0.0/8`, `fd00::/8`).
 * A malformed entry is a ConfigError naming it: a typo must not quietly trust nobody, or anybody.
 */
export function trustedProxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const match = /^([^/]+?)(?:\/(\d{1,3}))?$/.exec(entry.trim());
    const address = match ? normaliseAddress(match[1]!) : "";
    const bits = match?.[2] === undefined ? undefined : Number(match[2]);
    const family = isIP(address);
    if (family === 0 || (bits !== undefined && bits > (family === 4 ? 32 : 128))) {
      throw new ConfigError(`trustProxy: "${entry}" is not an IP address or subnet (such as 10.0.0.5 or 10.0.0.0/8).`);
    }
    if (bits === undefined) list.addAddress(address, familyOf(address));
    else list.addSubnet(address, bits, familyOf(address));
  }
  return list;
}

function isListed(list: BlockList, address: string): boolean {
  return isIP(address) !== 0 && list.check(address, familyOf(address));
}

/** The facts about a request that depend on the deployment, computed as the options say. */
export class Deployment {
  private readonly trustedProxies: BlockList | null;
  private readonly hops: number;
  private readonly allowedHosts: string[] | null;

  constructor(private readonly options: DeploymentOptions) {
    const trust = options.trustProxy;
    if (Array.isArray(trust)) {
      this.trustedProxies = trustedProxyList(trust);
      this.hops = 0;
    } else {
      this.trustedProxies = null;
      const hops = trust === true ? 1 : trust === false || trust === undefined ? 0 : Number(trust);
      if (!Number.isSafeInteger(hops) || hops < 0) throw new ConfigError("trustProxy must be true, false, a number of hops or a list of addresses and subnets.");
      this.hops = hops;
    }
    const hosts = options.allowedHosts;
    this.allowedHosts = hosts === undefined ? null : hosts.includes("*") ? null : hosts.map((host) => normaliseAddress(host));
  }

  /** How many proxy hops this request came through that we believe (0: ignore the X-Forwarded headers). */
  trustedHops(c: Context): number {
    if (!this.trustedProxies) return this.hops;
    const peer = normaliseAddress(socketOf(c)?.remoteAddress ?? "");
    if (!isListed(this.trustedProxies, peer)) return 0;
    const chain = listOf(c.req.header("x-forwarded-for")).map(normaliseAddress);
    let hops = 1;
    while (hops <= chain.length && isListed(this.trustedProxies, chain[chain.length - hops]!)) hops++;
    return hops;
  }

  /** The entry a trusted proxy chain wrote in a forwarded header, or undefined. */
  private forwarded(c: Context, header: string): string | undefined {
    const hops = this.trustedHops(c);
    if (hops === 0) return undefined;
    const values = listOf(c.req.header(header));
    if (values.length === 0) return undefined;
    return values[Math.max(0, values.length - hops)];
  }

  /** The client's address: `clientAddress` when given, else the proxy header as `trustProxy` allows, else the socket's. */
  clientAddress(c: Context): string {
    const custom = this.options.clientAddress?.(c);
    if (custom) return custom;
    const forwarded = this.forwarded(c, "x-forwarded-for");
    if (forwarded) return normaliseAddress(forwarded);
    return normaliseAddress(socketOf(c)?.remoteAddress ?? "unknown");
  }

  /** "https" or "http", as the browser used. */
  scheme(c: Context): "http" | "https" {
    const forwarded = this.forwarded(c, "x-forwarded-proto")?.toLowerCase();
    if (forwarded === "https" || forwarded === "http") return forwarded;
    if (socketOf(c)?.encrypted) return "https";
    return safeUrl(c.req.url)?.protocol === "https:" ? "https" : "http";
  }

  /** `host[:port]` as the browser addressed it. */
  host(c: Context): string {
    const forwarded = this.forwarded(c, "x-forwarded-host");
    if (forwarded) return forwarded.toLowerCase();
    return (safeUrl(c.req.url)?.host ?? "").toLowerCase();
  }

  /** The browser's origin for this app (`https://example.com`, `http://127.0.0.1:8000`), or null when malformed. */
  origin(c: Context): string | null {
    return safeUrl(`${this.scheme(c)}://${this.host(c)}`)?.origin ?? null;
  }

  /** Whether the request came over HTTPS (`secure`, else the trusted proxy's `X-Forwarded-Proto`, else the socket). */
  isSecure(c: Context): boolean {
    const secure = this.options.secure ?? "auto";
    return secure === "auto" ? this.scheme(c) === "https" : secure;
  }

  /** Whether the request names a host this app serves (DNS rebinding defence). */
  hostAllowed(c: Context): boolean {
    const url = safeUrl(`http://${this.host(c)}`);
    if (!url || url.username || url.password || url.pathname !== "/") return false;
    const name = normaliseAddress(url.hostname);
    const allowed = this.allowedHosts ?? (this.options.allowedHosts === undefined ? this.defaultHosts(c) : null);
    if (allowed === null) return true;
    return allowed.some((entry) => entry === name || (entry.startsWith(".") && (name.endsWith(entry) || name === entry.slice(1))));
  }

  private defaultHosts(c: Context): string[] {
    const bound = socketOf(c)?.localAddress;
    return bound ? [...LOOPBACK_NAMES, normaliseAddress(bound)] : LOOPBACK_NAMES;
  }
}

function safeUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}
