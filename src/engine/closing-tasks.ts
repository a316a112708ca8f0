// Work that must finish on a database before its pool ends (the user layer's background login writes):
// registered here by the higher layers, run by `Database.close()`, so no clean shutdown loses it.
// Keyed by the Database object (typed `object` here: connect.ts imports this file).
const tasksOf = new WeakMap<object, Set<() => Promise<void>>>();

/** Runs `task` when `database` closes, before its connections end. Returns a function that unregisters it. */
export function onClosing(database: object, task: () => Promise<void>): () => void {
  let tasks = tasksOf.get(database);
  if (!tasks) tasksOf.set(database, (tasks = new Set()));
  tasks.add(task);
  return () => tasks.delete(task);
}

/** Awaits every task registered for `database`; a failing task does not keep the others (or the close) from running. */
export async function runClosingTasks(database: object): Promise<void> {
  const tasks = tasksOf.get(database);
  if (!tasks) return;
  await Promise.allSettled([...tasks].map((task) => task()));
}
