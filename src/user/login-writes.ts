// A successful login's `last_login` write, done just after its answer instead of before it: the answer
// then costs the lookup and the hash only. The ids that logged in while a write was running go out
// together in one autocommit `UPDATE … SET last_login = now WHERE id IN (…)`: no explicit transaction,
// one statement (one pool connection, held for that statement alone) in flight per database and table,
// so no write ever holds a connection or a lock while it waits for anything else.
import { onClosing } from "../engine/closing-tasks.js";
import type { Database } from "../engine/connect.js";
import { isRetryableConflict, translateDatabaseError } from "../engine/database-errors.js";
import { nowTimestamp } from "../engine/values.js";
import { usersOf } from "./find-user.js";
import type { UserLogger } from "./user-types.js";

/** How long the first login of a statement waits for others to join it. */
const GATHER_MS = 5;

/** At most this many ids in one UPDATE (well under every engine's bound-parameter limit). */
const IDS_PER_STATEMENT = 500;

class LastLoginWriter {
  /** Ids logged in and not written yet, with the logger of the class that logged each in. */
  private pending = new Map<number, UserLogger>();
  /** The ids of the statement running now. */
  private writing = new Map<number, UserLogger>();
  private running: Promise<void> | null = null;
  /** Ends the gathering wait early: someone is waiting for the write. */
  private gathered: (() => void) | null = null;

  constructor(
    private readonly database: Database,
    private readonly tableName: string,
  ) {}

  record(id: number, logger: UserLogger): void {
    this.pending.set(id, logger);
    this.running ??= this.drain();
  }

  /** Whether the user's `last_login` is still to be written. */
  awaits(id: number): boolean {
    return this.pending.has(id) || this.writing.has(id);
  }

  /** The ids recorded and not written yet. */
  pendingIds(): number[] {
    return [...this.pending.keys(), ...this.writing.keys()];
  }

  /** Resolves once every id recorded before the call (and any recorded meanwhile) is written or logged. */
  async settle(): Promise<void> {
    while (this.running) {
      this.gathered?.();
      await this.running;
    }
  }

  private async drain(): Promise<void> {
    try {
      // A few milliseconds first: the logins answered meanwhile join the statement, and a client's next
      // login has sent its SELECT and started its hash, which then hides the write (on SQLite the commit
      // runs on this thread, and would otherwise come before that SELECT).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, GATHER_MS);
        this.gathered = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.gathered = null;
      while (this.pending.size > 0) {
        this.writing = this.pending;
        this.pending = new Map();
        await this.write(this.writing);
      }
    } finally {
      this.writing = new Map();
      this.running = null;
    }
  }

  private async write(batch: Map<number, UserLogger>): Promise<void> {
    const ids = [...batch.keys()];
    for (let start = 0; start < ids.length; start += IDS_PER_STATEMENT) {
      const chunk = ids.slice(start, start + IDS_PER_STATEMENT);
      try {
        await this.update(chunk).catch((error: unknown) => {
          // A Galera certification failure or a lock-wait victim: the statement alone is retried once.
          if (!isRetryableConflict(error)) throw error;
          return this.update(chunk);
        });
      } catch (error) {
        // Our own wording only: a driver's message can quote the statement's values.
        const reason = translateDatabaseError(error, this.database.target).message.replace(/\.$/, "");
        for (const id of chunk) warnSafely(batch.get(id)!, `Recording the login of user ${id} failed (${reason}); last_login was not written.`);
      }
    }
  }

  private async update(ids: number[]): Promise<void> {
    // last_login = now, as Piccolo writes it: the time of the write, a few milliseconds after the answer.
    await usersOf(this.database).updateTable(this.tableName).set({ last_login: nowTimestamp() }).where("id", "in", ids).execute();
  }
}

/** A throwing logger must not turn a background write into an unhandled rejection. */
function warnSafely(logger: UserLogger, message: string): void {
  try {
    logger.warn(message);
  } catch {
    // Nowhere left to say it.
  }
}

const writersOf = new WeakMap<Database, Map<string, LastLoginWriter>>();
const allWriters = new Set<LastLoginWriter>();

function writerFor(database: Database, tableName: string): LastLoginWriter {
  let writers = writersOf.get(database);
  if (!writers) {
    writersOf.set(database, (writers = new Map()));
    const mine = writers;
    // The database's close() waits for the pending writes, so no clean shutdown loses one.
    onClosing(database, async () => {
      await Promise.all([...mine.values()].map((writer) => writer.settle()));
      for (const writer of mine.values()) allWriters.delete(writer);
      writersOf.delete(database);
    });
  }
  let writer = writers.get(tableName);
  if (!writer) {
    writers.set(tableName, (writer = new LastLoginWriter(database, tableName)));
    allWriters.add(writer);
  }
  return writer;
}

/** Sets the user's `last_login` to now, just after this call returns (see the top of this file). */
export function recordLoginLater(database: Database, cls: { tableName: string; logger: UserLogger }, id: number): void {
  writerFor(database, cls.tableName).record(id, cls.logger);
}

/** `last_login` writes another thread does for this one's logins (the …Sync worker's): reads here wait for them too. */
export interface WritesElsewhere {
  awaits(userId: number): boolean;
  settle(): Promise<void>;
}

const writesElsewhere = new Set<WritesElsewhere>();

/** Makes this thread's reads, `settleLogins` and `close()` wait for `writes` as for its own. */
export function waitAlsoFor(writes: WritesElsewhere): void {
  writesElsewhere.add(writes);
}

/** The ids whose `last_login` this thread has still to write, on any database. */
export function pendingLoginIds(): number[] {
  return [...allWriters].flatMap((writer) => writer.pendingIds());
}

/** Whether the user's `last_login` is still to be written on `database`'s `tableName`. */
export function hasPendingLogin(database: Database, tableName: string, userId: number): boolean {
  // Another thread's writes are not told apart by database: at worst a read waits for a write it did not need.
  return (writersOf.get(database)?.get(tableName)?.awaits(userId) ?? false) || [...writesElsewhere].some((writes) => writes.awaits(userId));
}

/**
 * Waits until the `last_login` writes of the logins already answered are in the database (or logged,
 * when one failed): those on `database`'s `tableName` (only `userId`'s, when given), or every one when no
 * database is given, and those the …Sync worker is doing for this thread. Never call it while holding a
 * transaction on that table: the write it waits for could wait on that transaction.
 */
export async function settleLoginWrites(database?: Database, tableName?: string, userId?: number): Promise<void> {
  const writers = !database
    ? [...allWriters]
    : [...(writersOf.get(database)?.entries() ?? [])].filter(([table]) => tableName === undefined || table === tableName).map(([, w]) => w);
  const elsewhere = [...writesElsewhere];
  if (userId !== undefined) {
    // One user's read waits for that user's write only: other users' logins never delay it.
    await Promise.all([...writers, ...elsewhere].filter((writes) => writes.awaits(userId)).map((writes) => writes.settle()));
    return;
  }
  await Promise.all([...writers, ...elsewhere].map((writes) => writes.settle()));
}
