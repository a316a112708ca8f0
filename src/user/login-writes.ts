import type { Kysely } from "kysely";
import { onClosing } from "../engine/closing-tasks.js";
import type { Database } from "../engine/connect.js";
import { translateDatabaseError } from "../engine/database-errors.js";
import { withWriteTransaction } from "../engine/transaction.js";
import { nowTimestamp } from "../engine/values.js";
import { hashPassword } from "./hasher.js";
import type { UserLogger } from "./user-types.js";

/**
 * A login's writes, done after its answer: the `last_login` of a success (with the upgrade of a hash
 * of another iteration count), and the no-op UPDATE of a failure, which keeps the database work of
 * both alike. The writes pending on one database and table go out together, in one transaction (one
 * commit), while the previous one is committing: under load, many logins share a commit.
 */

/** What a login class contributes: where its rows are and where warnings go. */
export interface LoginWriteClass {
  tableName: string;
  iterations: number;
  logger: UserLogger;
}

interface PendingWrite {
  /** The user's id; NOBODY for a failed login's no-op. */
  id: number;
  lastLogin: string;
  logger: UserLogger;
  /** Replace the verified hash (and only it: a password changed meanwhile wins). */
  upgrade?: { verifiedHash: string; replacement: string };
}

const NOBODY = -1;

class LoginWriter {
  private pending: PendingWrite[] = [];
  private draining: Promise<void> | null = null;
  /** Upgrade hashes being computed: their writes are not queued yet. */
  private readonly preparing = new Set<Promise<void>>();

  constructor(
    private readonly database: Database,
    private readonly tableName: string,
  ) {}

  queue(write: PendingWrite): void {
    this.pending.push(write);
    this.draining ??= this.drain();
  }

  /** Tracks work that will queue a write when it ends (an upgrade hash). */
  prepare(work: Promise<void>): void {
    // Tracked as settled either way: a failure was reported where it happened, and must not reject here.
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.preparing.add(settled);
    void settled.then(() => this.preparing.delete(settled));
  }

  /** Resolves once every write queued or being prepared (and any queued meanwhile) is committed or logged. */
  async settle(): Promise<void> {
    while (this.draining || this.preparing.size > 0) await Promise.all([this.draining, ...this.preparing]);
  }

  private async drain(): Promise<void> {
    try {
      // One macrotask: the other logins answered in this turn of the event loop join the first batch.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0);
        await this.write(batch).catch((error: unknown) => batch.forEach((write) => this.report(write, error)));
      }
    } finally {
      this.draining = null;
    }
  }

  private async write(batch: PendingWrite[]): Promise<void> {
    const writes = latestPerUser(batch);
    try {
      await withWriteTransaction(this.database, async (db) => {
        for (const write of writes) await this.apply(db, write);
      });
    } catch (error) {
      if (writes.length === 1) return this.report(writes[0]!, error);
      // One bad row must not cost the others their write: each again on its own.
      for (const write of writes) {
        await this.apply(this.database.kysely, write).catch((rowError: unknown) => this.report(write, rowError));
      }
    }
  }

  private async apply(db: Kysely<any>, write: PendingWrite): Promise<void> {
    if (write.upgrade) {
      const result = await db
        .updateTable(this.tableName)
        .set({ last_login: write.lastLogin, password: write.upgrade.replacement })
        .where("id", "=", write.id)
        .where("password", "=", write.upgrade.verifiedHash)
        .executeTakeFirst();
      if (result.numUpdatedRows > 0n) return;
    }
    await db.updateTable(this.tableName).set({ last_login: write.lastLogin }).where("id", "=", write.id).execute();
  }

  private report(write: PendingWrite, error: unknown): void {
    // Our own wording only: a driver's message can quote the row's values.
    const reason = translateDatabaseError(error, this.database.target).message;
    const what = write.id === NOBODY ? "A refused login's write" : `Recording the login of user ${write.id}`;
    warnSafely(write.logger, `${what} failed in the background (${reason.replace(/\.$/, "")}); last_login was not written.`);
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

/**
 * The writes of one batch in id order (two processes' batches then lock rows in the same order, so they
 * cannot deadlock), a user's plain `last_login` write dropped when a later write of theirs follows.
 */
function latestPerUser(batch: PendingWrite[]): PendingWrite[] {
  const lastIndex = new Map<number, number>();
  batch.forEach((write, index) => lastIndex.set(write.id, index));
  const kept = batch.filter((write, index) => write.upgrade !== undefined || lastIndex.get(write.id) === index);
  return kept.sort((a, b) => a.id - b.id); // stable: one user's writes keep their order
}

const writersOf = new WeakMap<Database, Map<string, LoginWriter>>();
const allWriters = new Set<LoginWriter>();

function writerFor(database: Database, tableName: string): LoginWriter {
  let writers = writersOf.get(database);
  if (!writers) {
    writersOf.set(database, (writers = new Map()));
    const mine = writers;
    onClosing(database, async () => {
      await Promise.all([...mine.values()].map((writer) => writer.settle()));
      for (const writer of mine.values()) allWriters.delete(writer);
    });
  }
  let writer = writers.get(tableName);
  if (!writer) {
    writers.set(tableName, (writer = new LoginWriter(database, tableName)));
    allWriters.add(writer);
  }
  return writer;
}

/**
 * Records a successful login in the background: `last_login` now, and when the stored hash has another
 * iteration count, a new hash of the class's count (computed first, also in the background).
 */
export function recordLoginLater(
  cls: LoginWriteClass,
  database: Database,
  login: { id: number; verifiedHash: string; password: string; storedIterations: number },
): void {
  const writer = writerFor(database, cls.tableName);
  const write: PendingWrite = { id: login.id, lastLogin: nowTimestamp(), logger: cls.logger };
  if (login.storedIterations === cls.iterations) return writer.queue(write);
  const { password, verifiedHash } = login;
  writer.prepare(
    hashPassword(password, cls.iterations).then(
      (replacement) => writer.queue({ ...write, upgrade: { verifiedHash, replacement } }),
      () => {
        warnSafely(cls.logger, `The hash of user ${login.id} could not be upgraded now (it will be at a later login).`);
        writer.queue(write);
      },
    ),
  );
}

/** A failed login's share of the background work: the same UPDATE, of no row. */
export function touchNobodyLater(cls: LoginWriteClass, database: Database): void {
  writerFor(database, cls.tableName).queue({ id: NOBODY, lastLogin: nowTimestamp(), logger: cls.logger });
}

/** Waits for the background login writes on `database` (every database when omitted) to be committed or logged. */
export async function settleLoginWrites(database?: Database): Promise<void> {
  const writers = database ? [...(writersOf.get(database)?.values() ?? [])] : [...allWriters];
  await Promise.all(writers.map((writer) => writer.settle()));
}
