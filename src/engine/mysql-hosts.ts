// Reading MySQL/MariaDB URLs that name several servers: mysql://user:password@h1:3306,h2:3306/db?options.
// Kept apart from the connection code so that reading a URL loads no driver and no Kysely.
import { ConfigError } from "../errors.js";

export interface MysqlHost {
  host: string;
  port: number;
}

/** A URL's parts, with the host list split out; the rest is kept as written. */
export interface MultiHostMysqlUrl {
  scheme: string;
  /** `user` or `user:password`, still percent-encoded; may be empty. */
  userinfo: string;
  hosts: MysqlHost[];
  /** `/db` (may be empty) and `?options` (may be empty), as written. */
  path: string;
  query: string;
}

const URL_SHAPE = /^(mysql|mariadb):\/\/(?:([^@/?#]*)@)?([^/?#]*)([^?#]*)(\?[^#]*)?$/i;

/** True when a mysql:// or mariadb:// URL names more than one server. */
export function isMultiHostMysqlUrl(url: string): boolean {
  const match = URL_SHAPE.exec(url.trim());
  return match !== null && (match[3] ?? "").includes(",");
}

function parseHost(text: string, url: string): MysqlHost {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d*))?$/.exec(text.trim());
  if (!match) throw new ConfigError(`The database URL names a host that cannot be read (${JSON.stringify(text)}): use host:port,host:port.`);
  const port = match[2] ? Number(match[2]) : 3306;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`The database URL ${maskMultiHostPassword(url)} has a port out of range (${match[2]}).`);
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port };
}

/** Splits `mysql://user@h1:3306,h2:3306/db` into its parts; a ConfigError names what is wrong. */
export function parseMultiHostMysqlUrl(url: string): MultiHostMysqlUrl {
  const match = URL_SHAPE.exec(url.trim());
  if (!match) throw new ConfigError(`The database URL ${maskMultiHostPassword(url)} is not a mysql://user@host:port,host:port/db URL.`);
  const list = (match[3] ?? "").split(",");
  if (list.some((item) => item.trim() === "")) {
    throw new ConfigError(`The database URL ${maskMultiHostPassword(url)} has an empty entry in its host list.`);
  }
  return {
    scheme: match[1]!.toLowerCase(),
    userinfo: match[2] ?? "",
    hosts: list.map((item) => parseHost(item, url)),
    path: match[4] ?? "",
    query: match[5] ?? "",
  };
}

/** `mysql://user:secret@h1,h2/db` → `mysql://user:***@h1,h2/db` (the WHATWG URL parser refuses host lists). */
export function maskMultiHostPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*):[^@/?#]*@/i, "$1:***@");
}

/** One server's URL, for mysql2's own URL parsing (user, password, database and options as written). */
export function singleHostUri(parts: MultiHostMysqlUrl, host: MysqlHost): string {
  const name = host.host.includes(":") ? `[${host.host}]` : host.host;
  const userinfo = parts.userinfo ? `${parts.userinfo}@` : "";
  return `mysql://${userinfo}${name}:${host.port}${parts.path}${parts.query}`;
}

