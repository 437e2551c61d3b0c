import type Database from 'better-sqlite3';
import { asyncTransactionError, isThenable } from './state-store-rules.js';

// Groups the writes of one SQLite connection into one transaction per burst: every write of
// `windowMs` from the first (or of one event-loop turn, with 0). Internal to the SQLite stores
// (one per file, shared by every account of a shared file).

/** How a connection's writes are committed; see {@link createWriteBatch}. */
export interface WriteBatch {
  /**
   * Runs a write. With batching on and no transaction open, it opens a batch
   * (`BEGIN IMMEDIATE`) and schedules its commit; inside an open batch or transaction it just
   * runs (each statement is atomic on its own; a compound write runs its statements back to
   * back, with nothing between them on this connection).
   * Throws first the error of a batch whose commit failed, once.
   */
  write<T>(fn: () => T): T;
  /**
   * Whether a write may be held in memory until the batch commits (batching on, no
   * {@link transaction} running); when it may, the batch is opened (`BEGIN IMMEDIATE`) and its
   * commit scheduled. Throws first the error of a batch whose commit failed, once.
   */
  deferring(): boolean;
  /**
   * Says that `writes` holds something: it is written into the transaction of the next commit
   * (also the one before a {@link transaction}), before the `COMMIT`.
   */
  hold(writes: HeldWrites): void;
  /**
   * Runs `fn` as one transaction, durable when the outermost call returns: the open batch is
   * committed first, so a rollback of `fn` undoes only `fn`. Nested calls are savepoints.
   */
  transaction<T>(fn: () => T): T;
  /** Commits the open batch now (nothing inside a {@link transaction}: that commits itself). */
  flush(): void;
  /** Whether a {@link transaction} is running (its writes may yet be rolled back). */
  transacting(): boolean;
  /**
   * How many batches a failed commit lost so far: what was read inside one of them may have
   * been rolled back (a cache of reads starts over when this changes).
   */
  losses(): number;
}

/**
 * How long a batch of writes stays open by default, in milliseconds: long enough that a
 * steady stream of messages shares its commits (a commit's fixed cost, its locks and WAL
 * frames, is that of some dozen row writes: at 1000 messages/s a 100 ms window cost 290 µs of
 * CPU per message received against 315 µs with 10 ms), short enough that a crash loses little
 * (what it loses is delivered again, and a reply is never sent before its message's row is
 * committed).
 */
export const DEFAULT_BATCH_WINDOW_MS = 100;

/** Options of {@link createWriteBatch}. */
export interface WriteBatchOptions {
  /** Whether writes wait in a batch (`true`) or each commits at once. */
  batched: boolean;
  /**
   * How long a batch stays open after its first write, in milliseconds: it is committed by a
   * timer then (or earlier by `flush` or `transaction`). 0 commits it when the event-loop turn
   * of its first write ends.
   */
  windowMs: number;
  /** Turns an SQLite error into the error callers see (names the file and the operation). */
  describe: (operation: string, error: unknown) => unknown;
}

/** Writes held in memory until their batch commits (see {@link WriteBatch.deferring}). */
export interface HeldWrites {
  /**
   * Writes what is held, in the open transaction, and forgets it (also when a statement
   * throws: a failed commit loses the batch, as a crash would).
   */
  write(): void;
  /** Forgets what is held, unwritten (its batch could not begin: it is lost, as by a crash). */
  discard(): void;
}

/**
 * The commits of the batches open in this process: `process.exit()` ends the process without
 * running their timers, so they are committed on its `exit` event (SQLite's calls are
 * synchronous). One listener for all of them.
 */
const commitsAtExit = new Set<() => void>();
let exitListening = false;

function commitAtExit(commit: () => void): void {
  commitsAtExit.add(commit);
  if (exitListening) return;
  exitListening = true;
  process.on('exit', () => {
    for (const pending of [...commitsAtExit]) pending();
  });
}

/** Creates the write batching of `db`. */
export function createWriteBatch(db: Database.Database, options: WriteBatchOptions): WriteBatch {
  /** Whether a batch is open: its commit scheduled. */
  let open = false;
  /**
   * Whether the batch's transaction was begun (checked against SQLite at the commit, which may
   * have rolled it back by itself after an I/O error): spares a native call per write.
   */
  let begun = false;
  let losses = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let depth = 0;
  let failure: unknown;
  /** What holds writes for the open batch. */
  const held = new Set<HeldWrites>();
  // Prepared once: a write opening a batch should cost no SQL parsing.
  const begin = db.prepare('BEGIN IMMEDIATE');
  const end = db.prepare('COMMIT');

  const schedule = (): void => {
    if (open) return;
    open = true;
    // Not unref'd: a process that ends on its own commits its last batch first.
    if (options.windowMs > 0) timer = setTimeout(commitLater, options.windowMs);
    else setImmediate(commitLater);
    commitAtExit(commitAtProcessExit);
  };
  const beginBatch = (): void => {
    if (begun && db.inTransaction) return;
    begin.run();
    begun = true;
  };
  const commit = (): void => {
    if (!open) return;
    open = false;
    commitsAtExit.delete(commitAtProcessExit);
    begun = false;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    try {
      if (held.size > 0) {
        const holders = [...held];
        held.clear();
        try {
          if (!db.inTransaction) begin.run();
        } catch (error) {
          for (const writes of holders) writes.discard();
          throw error;
        }
        // Every holder writes (and so forgets) what it holds, even after one failed: a failed
        // commit loses the whole batch.
        let failed: { error: unknown } | undefined;
        for (const writes of holders) {
          try {
            writes.write();
          } catch (error) {
            failed ??= { error };
          }
        }
        if (failed) throw failed.error;
      }
      // SQLite rolls a transaction back by itself after some errors (disk full, I/O).
      if (db.inTransaction) end.run();
    } catch (error) {
      losses += 1;
      if (db.inTransaction) db.exec('ROLLBACK');
      throw options.describe('commit', error);
    }
  };
  const commitLater = (): void => {
    try {
      commit();
    } catch (error) {
      failure = error;
    }
  };
  /**
   * At the process's exit: the batch is committed unless the exit came in the middle of a
   * transaction (whose writes the open transaction holds: none of them is committed then; the
   * batch before it was committed when the transaction began). A failure loses the batch, as a
   * crash would: nothing is left to report it to.
   */
  const commitAtProcessExit = (): void => {
    if (depth > 0) return;
    try {
      commit();
    } catch {
      // The process is ending; what was not committed is delivered again after a restart.
    }
  };
  const raiseFailure = (): void => {
    if (failure === undefined) return;
    const error = failure;
    failure = undefined;
    throw error;
  };

  return {
    write(fn) {
      raiseFailure();
      if (options.batched && depth === 0 && !begun) {
        beginBatch();
        schedule();
      }
      return fn();
    },

    deferring() {
      raiseFailure();
      if (!options.batched || depth > 0) return false;
      // Begun now, not at the commit: every statement until then (the reads that decide what
      // is held) runs in it, without taking and releasing the file's locks for each.
      if (!begun) beginBatch();
      schedule();
      return true;
    },

    hold(writes) {
      held.add(writes);
      schedule();
    },

    transaction(fn) {
      raiseFailure();
      if (depth === 0) commit();
      depth += 1;
      try {
        return db
          .transaction(() => {
            const result = fn();
            if (isThenable(result)) throw asyncTransactionError();
            return result;
          })
          .immediate();
      } finally {
        depth -= 1;
      }
    },

    flush() {
      raiseFailure();
      if (depth === 0) commit();
    },

    transacting: () => depth > 0,
    losses: () => losses,
  };
}
