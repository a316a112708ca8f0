// The peer row of issue 12: better-auth's email sign-in (its default scrypt, on SQLite) against our
// login, 16 in flight each, in alternating bursts so that load on the host hits both. better-auth is
// a devDependency of the benchmark only; without it the row is left out.
import path from "node:path";
import { inFlight } from "./figures.mjs";
import { median } from "./stats.mjs";

async function betterAuthSignIn(dir, password) {
  let betterAuth, getMigrations, Database;
  try {
    ({ betterAuth } = await import("better-auth"));
    ({ getMigrations } = await import("better-auth/db/migration"));
    Database = (await import("better-sqlite3")).default;
  } catch {
    return null;
  }
  const options = {
    database: new Database(path.join(dir, "better-auth.sqlite")),
    emailAndPassword: { enabled: true },
    secret: "bench-secret-bench-secret-bench-secret-0",
    baseURL: "http://localhost:3000",
    telemetry: { enabled: false },
    logger: { disabled: true },
  };
  const auth = betterAuth(options);
  await (await getMigrations(options)).runMigrations();
  const email = "bench@example.com";
  await auth.api.signUpEmail({ body: { email, password, name: "bench" } });
  return async () => {
    const result = await auth.api.signInEmail({ body: { email, password } });
    if (!result?.token) throw new Error("better-auth: sign-in gave no session");
  };
}

/** Logins/s of ours and of better-auth's sign-in with `k` in flight, `rounds` alternating bursts of `n`. */
export async function peerThroughput(User, creds, dir, { k = 16, n = 32, rounds = 3 } = {}) {
  const signIn = await betterAuthSignIn(dir, creds.password);
  if (!signIn) return null;
  const login = async () => {
    if (typeof (await User.login(creds.username, creds.password)) !== "number") throw new Error("login failed");
  };
  await signIn();
  await login();
  const ours = [];
  const theirs = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? [[ours, login], [theirs, signIn]] : [[theirs, signIn], [ours, login]];
    for (const [rates, fn] of order) rates.push((n * 1000) / (await inFlight(k, n, fn)));
  }
  return { inFlight: k, oursRate: median(ours), betterAuthRate: median(theirs), ratio: median(ours.map((r, i) => r / theirs[i])) };
}
