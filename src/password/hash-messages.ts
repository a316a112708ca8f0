// What the hash pool (hash-pool.ts) and its threads (hash-worker.ts) send each other: one file both
// sides and the two-lane pairing (hash-lanes.ts) read, so none of them imports another for a type.

/** What each thread is started with. */
export interface HashWorkerData {
  native: boolean;
  nice: number;
}

/** One hash for a thread: PBKDF2-HMAC-SHA256 of these bytes, or the check of an imported hash. */
export interface HashJobMessage {
  password: Uint8Array;
  salt: Uint8Array;
  iterations: number;
  keyLength: number;
  /** A stored value of another system's format (legacy-hashes.ts) to check the password against, instead of PBKDF2. */
  legacy?: string;
}

export type HashReplyMessage = { key: Uint8Array; native: boolean } | { matches: boolean } | { error: string };

/** Two hashes for one thread's two-lane loop. */
export interface HashPairMessage {
  pair: [HashJobMessage, HashJobMessage];
}

/** Their replies, in the same order. */
export interface HashPairReplyMessage {
  pair: [HashReplyMessage, HashReplyMessage];
}
