// `piccolo admin [--host 127.0.0.1] [--port 8000] [--trust-proxy 1|addresses] [--secure] [--allowed-host names] [--redis url]`:
// serves the user admin until stopped (Ctrl-C).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { trustedProxyList } from "../../session/deployment.js";
import { CliError, print, warn } from "../output.js";
import type { CommandInput } from "../types.js";
import type { AdminOptions } from "../../admin/app.js";
import type { BaseUser } from "../../user/base-user.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8000;

export interface StartAdminOptions extends AdminOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 8000; 0 picks a free one). */
  port?: number;
  /** The database URL or path when no `userClass` is given (default: the resolution order). */
  db?: string;
}

export interface RunningAdmin {
  /** The admin's address, e.g. `http://127.0.0.1:8000/`. */
  url: string;
  host: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

function commaList(value: string | undefined): string[] {
  return (value ?? "").split(",").map((part) => part.trim()).filter((part) => part !== "");
}

/** `--trust-proxy 2` → 2 hops; `--trust-proxy 10.0.0.5,10.0.0.0/8` → those proxies' addresses and subnets. */
export function parseTrustProxy(value: string | undefined): number | string[] | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const addresses = commaList(value);
  if (addresses.length > 0) {
    try {
      trustedProxyList(addresses); // the session layer's own check, so the flag accepts what the option does
      return addresses;
    } catch {
      // named in the usage error below
    }
  }
  throw new CliError(`--trust-proxy takes a number of hops or proxy IP addresses and subnets (10.0.0.0/8), not "${value}".`, { exitCode: 2, code: "USAGE" });
}

/** The host names the admin answers to: the bound host, localhost, 127.0.0.1, ::1 and the extra ones. */
export function allowedHostsFor(host: string, extra: readonly string[] = []): string[] {
  return [...new Set([host, "localhost", "127.0.0.1", "::1", ...extra].map((name) => name.toLowerCase()))];
}

/**
 * Checks that the tables exist (a clear message instead of a failing login), then listens. Resolves once
 * the server is listening.
 */
export async function startAdmin(options: StartAdminOptions = {}): Promise<RunningAdmin> {
  const [{ createAdminApp }, { getRequestListener }, { BaseUser }, { SessionStore }, { DatabaseAttemptStore }] = await Promise.all([
    import("../../admin/app.js"),
    import("@hono/node-server"),
    import("../../user/base-user.js"),
    import("../../session/store.js"),
    import("../../session/attempt-store-db.js"),
  ]);
  const { headAsGet } = await import("../../session/node-adapter.js");
  let userClass: typeof BaseUser;
  if (options.userClass) {
    userClass = options.userClass;
  } else {
    userClass = class AdminUser extends BaseUser {};
    userClass.database = options.db;
  }
  const database = options.database ?? userClass.database;
  const { requireAdminTables, warnIfNobodyCanLogIn } = await import("../admin-readiness.js");
  const { useDatabase } = await import("../../engine/connect.js");
  let redis = options.store?.redis;
  let opened: { close(): Promise<void> } | undefined;
  if (typeof redis === "string") {
    // Fails here, naming the URL (password masked), rather than at the first login.
    const { RedisConnection } = await import("../../session/redis-connection.js");
    redis = await RedisConnection.connect(redis);
    opened = redis;
  }
  try {
    // Every table a page uses, before listening: a missing one names the command to run. With Redis the
    // sessions and login limits live there: the session tables are not needed.
    await requireAdminTables(await useDatabase(database), userClass, { sessionTables: redis === undefined });
    await warnIfNobodyCanLogIn(userClass);
    // With two-factor logins: a missing table or a wrong key is reported now rather than at a login.
    await options.mfa?.checkKey();
    if (redis === undefined) {
      await new SessionStore({ database }).countForUser(0);
      await new SessionStore({ database }).removeExpired();
      // The shared login rate limit's table comes with the second session_auth migration.
      await new DatabaseAttemptStore(database).prune();
    }
  } catch (error) {
    await opened?.close();
    throw error;
  }

  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(`The port must be a number from 0 to 65535, not ${String(port)}.`, { exitCode: 2, code: "USAGE" });
  }
  // Unspecified or any-address binds answer to what the socket was reached on (the session layer's default).
  const wildcard = host === "0.0.0.0" || host === "::";
  const allowedHosts = options.deployment?.allowedHosts ?? (wildcard ? undefined : allowedHostsFor(host));
  const app = createAdminApp({
    ...options,
    userClass,
    database,
    store: { ...options.store, ...(redis ? { redis } : {}) },
    deployment: { ...options.deployment, ...(allowedHosts ? { allowedHosts } : {}) },
  });
  const server = createServer(getRequestListener(headAsGet(app.fetch)));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") {
        reject(new CliError(`Port ${port} on ${host} is already in use.`, { hint: "Choose another with --port.", code: "PORT_IN_USE" }));
      } else if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") {
        reject(new CliError(`Cannot listen on ${host}: no such local address.`, { hint: "Choose another with --host.", code: "BAD_HOST" }));
      } else {
        reject(error);
      }
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    host: address.address,
    port: address.port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }).finally(() => opened?.close()),
  };
}

/** The command: serves until SIGTERM (exit 0) or Ctrl-C. */
export async function run(input: CommandInput): Promise<number> {
  const flags = input.options as { host?: string; port?: number; trust_proxy?: string; secure?: boolean; allowed_host?: string; redis?: string };
  // The environment keeps a Redis password out of the process list.
  const redis = flags.redis ?? (process.env.PICCOLO_REDIS_URL || undefined);
  const trustProxy = parseTrustProxy(flags.trust_proxy);
  const host = flags.host ?? DEFAULT_HOST;
  const extraHosts = commaList(flags.allowed_host);
  const { warnIfUserMigrationsPending } = await import("../users.js");
  await warnIfUserMigrationsPending(input.db, { warn: false }); // startAdmin names every missing migration
  // Two-factor logins when a key is set (PICCOLO_MFA_KEY; a malformed one fails here, at start-up).
  let mfa: import("../../user/mfa/authenticator.js").MfaAuthenticator | undefined;
  if (process.env.PICCOLO_MFA_KEY) {
    const [{ MfaAuthenticator }, { BaseUser }] = await Promise.all([import("../../user/mfa/authenticator.js"), import("../../user/base-user.js")]);
    const provider = (process.env.PICCOLO_MFA_PROVIDER || "xchacha20") as "xchacha20" | "fernet" | "plain";
    const users = class MfaUser extends BaseUser {};
    users.database = input.db;
    mfa = new MfaAuthenticator({ encryption: { provider }, users });
  }
  const admin = await startAdmin({
    host,
    port: flags.port,
    db: input.db,
    ...(mfa ? { mfa } : {}),
    ...(redis ? { store: { redis } } : {}),
    deployment: {
      ...(trustProxy !== undefined ? { trustProxy } : {}),
      ...(flags.secure ? { secure: true } : {}),
      ...(extraHosts.length > 0 ? { allowedHosts: allowedHostsFor(host, extraHosts) } : {}),
    },
  });
  if (!isLoopback(admin.host) && !flags.secure && trustProxy === undefined) {
    warn("The admin is served over plain HTTP on a non-local address: put it behind an HTTPS proxy and use --trust-proxy (or --secure).");
  }
  print(`Piccolo admin at ${admin.url} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGTERM", stop);
      admin.close().then(resolve, resolve);
    };
    process.on("SIGTERM", stop);
  });
  return 0;
}
