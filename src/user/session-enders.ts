// Session stores outside the user database (Redis) hear here when a user's sessions must end: a
// password change, a deactivation, a deletion. The user layer cannot know those stores (they live in a
// higher layer), so they register themselves; endSessions calls them with the database's own delete.

type SessionEnder = (userId: number) => Promise<unknown>;

const enders = new Map<string, SessionEnder>();

/** Registers (or replaces, under the same `key`) a store that must end a user's sessions with the database's. */
export function onSessionsEnded(key: string, ender: SessionEnder): void {
  enders.set(key, ender);
}

/** Ends the user's sessions in every registered store (a failure fails the change that asked). */
export async function notifySessionsEnded(userId: number): Promise<void> {
  await Promise.all([...enders.values()].map((ender) => ender(userId)));
}
