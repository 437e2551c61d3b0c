import type Database from 'better-sqlite3';
import { asyncTransactionError, isThenable } from './state-store-rules.js';

// Groups the writes of one SQLite connection into one transaction per event-loop turn.
// Internal to the SQLite stores (one per file, shared by every account of a shared file).

/** How a connection's writes are committed; see {@link createWriteBatch}. */
export interface WriteBatch {
  /**
   * Runs a write. With batching on and no transaction open, it opens the turn's batch
   * (`BEGIN IMMEDIATE`) and schedules its commit; inside an open batch or transaction it just
   * runs (each statement is atomic on its own; compound writes use their own savepoint).
   * Throws first the error of a batch whose commit failed, once.
   */
  write<T>(fn: () => T): T;
  /**
   * Runs `fn` as one transaction, durable when the outermost call returns: the open batch is
   * committed first, so a rollback of `fn` undoes only `fn`. Nested calls are savepoints.
   */
  transaction<T>(fn: () => T): T;
  /** Commits the open batch now (nothing inside a {@link transaction}: that commits itself). */
  flush(): void;
}

/** Options of {@link createWriteBatch}. */
export interface WriteBatchOptions {
  /** Whether writes wait for the end of the turn (`true`) or each commits at once. */
  batched: boolean;
  /** Turns an SQLite error into the error callers see (names the file and the operation). */
  describe: (operation: string, error: unknown) => unknown;
}

/** Creates the write batching of `db`. */
export function createWriteBatch(db: Database.Database, options: WriteBatchOptions): WriteBatch {
  let open = false;
  let depth = 0;
  let failure: unknown;
  // Prepared once: a write opening the turn's batch should cost no SQL parsing.
  const begin = db.prepare('BEGIN IMMEDIATE');
  const end = db.prepare('COMMIT');

  const commit = (): void => {
    if (!open) return;
    open = false;
    // SQLite rolls a transaction back by itself after some errors (disk full, I/O).
    if (!db.inTransaction) return;
    try {
      end.run();
    } catch (error) {
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
  const raiseFailure = (): void => {
    if (failure === undefined) return;
    const error = failure;
    failure = undefined;
    throw error;
  };

  return {
    write(fn) {
      raiseFailure();
      if (options.batched && !db.inTransaction) {
        begin.run();
        open = true;
        setImmediate(commitLater);
      }
      return fn();
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
  };
}
