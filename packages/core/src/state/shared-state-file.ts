import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ClawlinkError } from '../errors/clawlink-error.js';
import { StateStoreError } from '../errors/state-store-error.js';
import {
  batchingOf,
  closeStateDatabase,
  openStateDatabase,
  operationError,
} from './sqlite-state-store.js';
import { createSqliteStoreView } from './sqlite-store-view.js';
import type { StateStore } from './state-store.js';
import { createWriteBatch } from './write-batch.js';

/** Options of {@link openSharedStateFile}. */
export interface SharedStateFileOptions {
  /** The SQLite file (created 0600, its directory 0700, when missing). */
  file: string;
  /** The default clock of the accounts' stores; default `Date.now`. */
  now?: () => number;
  /** How long to wait for another connection's lock, in milliseconds; default 5000. */
  busyTimeoutMs?: number;
  /** Whether writes are batched, as in `openSqliteStateStore`; default `true`. */
  batchWrites?: boolean;
  /** How long a batch stays open, as in `openSqliteStateStore`; default 100 ms. */
  batchWindowMs?: number;
}

/** The state of many accounts in one SQLite file, over one connection. */
export interface SharedStateFile {
  /** The SQLite file. */
  readonly file: string;
  /**
   * The state store of one account: its rows only (every row of the file is keyed by
   * account, so accounts never see each other's ledger, watermarks, requests or channels).
   * Closing it closes only this store; the file stays open for the other accounts.
   */
  store(accountId: string, options?: { now?: () => number }): StateStore;
  /** Commits the writes batched so far, of every account (see `StateStore.flush`). */
  flush(): void;
  /** Commits what is batched, closes every store of the file and the file. Idempotent. */
  close(): void;
}

/**
 * Opens (creating when needed) a shared state file: the state of any number of accounts in
 * one SQLite file and one connection (three file descriptors in all, where each account's
 * own file takes three per account), the same WAL mode, file modes and checks as an
 * account's file, and the same batching of writes (one transaction per burst for all the
 * accounts together). A file that is one account's (not shared) is refused
 * untouched, and an account's file refuses a shared one.
 * @throws ConfigError for a `batchWindowMs` that is not a number >= 0.
 * @throws StateStoreError as `openSqliteStateStore` does (its message starts with
 *   "too many open files: raise ulimit -n" when the process is out of file descriptors).
 */
export function openSharedStateFile(options: SharedStateFileOptions): SharedStateFile {
  const file = path.resolve(options.file);
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new StateStoreError(
      `Could not create the directory of the shared state file ${file}; create it yourself or choose another path.`,
      { file, cause: error },
    );
  }
  const batching = batchingOf(options);
  const db = openStateDatabase(file, { kind: 'shared' }, options.busyTimeoutMs ?? 5000);
  const describe = (operation: string, error: unknown) => operationError(file, operation, error);
  const batch = createWriteBatch(db, { ...batching, describe });
  const addAccount = db.prepare('INSERT OR IGNORE INTO accounts (account_id) VALUES (?)');
  const accountKey = db.prepare('SELECT account_key FROM accounts WHERE account_id = ?').pluck();
  const stores = new Set<StateStore>();
  let closed = false;

  const keyOf = (accountId: string): number => {
    // JSON keeps an id exact even when it is not well-formed UTF-16 (a lone surrogate).
    const id = JSON.stringify(accountId);
    try {
      return batch.write(() => {
        addAccount.run(id);
        return accountKey.get(id) as number;
      });
    } catch (error) {
      throw describe('store', error);
    }
  };

  return {
    file,

    store(accountId, storeOptions = {}) {
      if (closed) {
        throw new StateStoreError(
          `The shared state file ${file} is closed; open it again before opening an account's store.`,
          { file },
        );
      }
      if (typeof accountId !== 'string' || accountId === '') {
        throw new ClawlinkError(
          'INVALID_ARGUMENT',
          'A store of a shared state file needs the account id, a non-empty string.',
        );
      }
      const store = createSqliteStoreView(db, {
        file,
        now: storeOptions.now ?? options.now ?? Date.now,
        batch,
        scope: { kind: 'account', key: keyOf(accountId) },
        describe,
        onClose: () => {
          stores.delete(store);
        },
      });
      stores.add(store);
      return store;
    },

    flush() {
      if (closed) return;
      batch.flush();
    },

    close() {
      if (closed) return;
      closed = true;
      for (const store of [...stores]) store.close();
      closeStateDatabase(file, db, batch);
    },
  };
}
