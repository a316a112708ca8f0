// Private database servers for the fault tests: a PostgreSQL cluster and a MariaDB server of this test
// process's own, in a temporary folder, on a free port, so that stopping and restarting them mid-test
// hurts no other test (the shared servers on 5432 and 3306 are never touched).
//
// PostgreSQL: initdb (as the `postgres` OS user when running as root) and pg_ctl start/stop.
// MariaDB: mariadb-install-db, then mariadbd as a child process, stopped with SIGTERM.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import pg from "pg";
import mysql from "mysql2/promise";

export interface PrivateServer {
  engine: "postgres" | "mysql";
  /** The database URL of an empty database `piccolo` on this server. */
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (if running) and deletes its files. */
  destroy(): Promise<void>;
}

/** A TCP port nobody listens on right now (and that stays closed: nothing is started on it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function run(command: string, args: string[], options: { asUser?: string } = {}): { ok: boolean; output: string } {
  const [cmd, argv] = options.asUser ? ["runuser", ["-u", options.asUser, "--", command, ...args]] : [command, args];
  const result = spawnSync(cmd, argv, { encoding: "utf8", timeout: 120_000 });
  return { ok: result.status === 0, output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}` };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

const isRoot = () => process.getuid?.() === 0;
const cleanups = new Set<() => void>();
process.on("exit", () => {
  for (const cleanup of cleanups) cleanup();
});

/** The newest installed PostgreSQL's bin folder, or null. */
function postgresBin(): string | null {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(base, versions[0], "bin") : null;
}

/** Starts a private PostgreSQL; throws with the reason when it cannot be set up here. */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const bin = postgresBin();
  if (!bin) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin");
  const osUser = isRoot() ? "postgres" : undefined;
  const dir = mkdtempSync(path.join(tmpdir(), "piccolo-ts-pg-"));
  if (osUser) {
    const { uid, gid } = userInfoOf(osUser);
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, "data");
  const init = run(path.join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"], { asUser: osUser });
  if (!init.ok) throw new Error(`initdb failed: ${init.output}`);
  const port = await freePort();
  const pgCtl = (args: string[]) => run(path.join(bin, "pg_ctl"), ["-D", data, ...args], { asUser: osUser });
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let running = false;
  const server: PrivateServer = {
    engine: "postgres",
    url: `postgres://postgres@127.0.0.1:${port}/piccolo`,
    port,
    async start() {
      const result = pgCtl(["-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "-l", path.join(dir, "log"), "-w", "-t", "60", "start"]);
      if (!result.ok) throw new Error(`pg_ctl start failed: ${result.output}\n${safeRead(path.join(dir, "log"))}`);
      running = true;
      await waitFor("private PostgreSQL", async () => {
        const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
        await client.connect();
        await client.end();
        return true;
      });
    },
    async stop() {
      const result = pgCtl(["-m", "fast", "-w", "-t", "60", "stop"]);
      if (!result.ok) throw new Error(`pg_ctl stop failed: ${result.output}`);
      running = false;
    },
    async destroy() {
      if (running) pgCtl(["-m", "immediate", "-w", "stop"]);
      running = false;
      cleanups.delete(cleanup);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const cleanup = () => {
    if (running) pgCtl(["-m", "immediate", "-w", "stop"]);
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.add(cleanup);
  await server.start();
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query("CREATE DATABASE piccolo");
  await client.end();
  return server;
}

function userInfoOf(name: string): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no OS user ${name}`);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, "utf8").slice(-2000);
  } catch {
    return "";
  }
}

function which(command: string): string | null {
  for (const dir of ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", ...(process.env.PATH ?? "").split(":")]) {
    const file = path.join(dir, command);
    if (existsSync(file)) return file;
  }
  return null;
}

/** Starts a private MariaDB; throws with the reason when it cannot be set up here. */
export async function startPrivateMariadb(): Promise<PrivateServer> {
  const mariadbd = which("mariadbd") ?? which("mysqld");
  const installDb = which("mariadb-install-db") ?? which("mysql_install_db");
  if (!mariadbd || !installDb) throw new Error("no mariadbd / mariadb-install-db on this machine");
  const dir = mkdtempSync(path.join(tmpdir(), "piccolo-ts-my-"));
  const data = path.join(dir, "data");
  mkdirSync(data);
  const userArgs = isRoot() ? ["--user=root"] : [`--user=${userInfo().username}`];
  const init = run(installDb, ["--no-defaults", `--datadir=${data}`, "--auth-root-authentication-method=normal", "--skip-test-db", ...userArgs]);
  if (!init.ok) throw new Error(`mariadb-install-db failed: ${init.output}`);
  const port = await freePort();
  const adminUrl = `mysql://root@127.0.0.1:${port}/mysql`;
  let child: ChildProcess | null = null;
  const server: PrivateServer = {
    engine: "mysql",
    url: `mysql://root@127.0.0.1:${port}/piccolo`,
    port,
    async start() {
      const log = openSync(path.join(dir, "log"), "a");
      child = spawn(
        mariadbd,
        [
          "--no-defaults",
          `--datadir=${data}`,
          `--port=${port}`,
          "--bind-address=127.0.0.1",
          `--socket=${path.join(dir, "sock")}`,
          `--pid-file=${path.join(dir, "pid")}`,
          "--innodb-buffer-pool-size=16M",
          "--skip-log-bin",
          ...userArgs,
        ],
        { stdio: ["ignore", log, log] },
      );
      const exited = new Promise<never>((_, reject) =>
        child!.once("exit", (code) => reject(new Error(`mariadbd exited (${code}): ${safeRead(path.join(dir, "log"))}`))),
      );
      exited.catch(() => {});
      await Promise.race([
        waitFor("private MariaDB", async () => {
          const conn = await mysql.createConnection({ uri: adminUrl, connectTimeout: 2000 });
          await conn.end();
          return true;
        }),
        exited,
      ]);
    },
    async stop() {
      const current = child;
      if (!current || current.exitCode !== null) return;
      const gone = new Promise((resolve) => current.once("exit", resolve));
      current.kill("SIGTERM");
      await gone;
      child = null;
    },
    async destroy() {
      await server.stop();
      cleanups.delete(cleanup);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const cleanup = () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.add(cleanup);
  await server.start();
  const conn = await mysql.createConnection({ uri: adminUrl });
  await conn.query("CREATE DATABASE piccolo CHARACTER SET utf8mb4");
  await conn.end();
  return server;
}
