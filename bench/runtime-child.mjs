// One runtime's login figures (bench/lib/runtimes.mjs runs it on Node, Bun and Deno): a warm-up login,
// `rounds` sequential logins (median ms), then `n` logins with `inFlight` at once (logins/s).
// Input: a JSON argument { url, username, password, rounds, n, inFlight }; output: one JSON line.
const { url, username, password, rounds, n, inFlight } = JSON.parse(process.argv[2]);
const { BaseUser, closeDatabases, hasherInfo } = await import("../dist/index.js");

class RuntimeUser extends BaseUser {
  static database = url;
  static logger = { warn() {} };
}

const login = async () => {
  if ((await RuntimeUser.login(username, password)) === null) throw new Error("the bench user did not log in");
};
await login(); // connect, start a hash thread
const times = [];
for (let i = 0; i < rounds; i++) {
  const started = performance.now();
  await login();
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
let next = 0;
const started = performance.now();
await Promise.all(Array.from({ length: Math.min(inFlight, n) }, async () => {
  while (next < n) {
    next++;
    await login();
  }
}));
const seconds = (performance.now() - started) / 1000;
const { implementation, kernel, runtime, threads } = hasherInfo();
await closeDatabases();
console.log(JSON.stringify({ runtime, implementation, kernel, threads, loginMs: times[Math.floor(times.length / 2)], rate: n / seconds, inFlight, n }));
