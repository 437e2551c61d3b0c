import type { StateStore } from './state-store.js';
import { closedStoreError } from './state-store-rules.js';

/**
 * A store over a new state file (missing, or empty) that creates and opens the database only
 * at its first write (see `openSqliteStateStore`'s `openAtFirstWrite`). Until then it answers
 * as the empty store it is: reads find nothing, and so do the writes that change nothing in an
 * empty store (marking, deleting, settling, taking or pruning what is not there); the file
 * stays as it was (missing, or empty; no -wal or -shm) and no descriptor is held. The first
 * write calls `open` (which creates the file 0600 or checks it again, and creates its schema)
 * and runs on the store it
 * returns, as does every call after it; when `open` throws, the write throws that and the
 * next write tries again. @internal
 */
export function createStoreOpenedAtFirstWrite(file: string, open: () => StateStore): StateStore {
  let real: StateStore | undefined;
  let closed = false;
  /** The opened store, opening it now when needed. */
  const opened = (): StateStore => {
    if (closed) throw closedStoreError(file);
    real ??= open();
    return real;
  };
  /** The opened store when there is one; else refuses a closed store and answers `empty`. */
  const orEmpty = <T>(empty: T, call: (store: StateStore) => T): T => {
    if (real) return call(real);
    if (closed) throw closedStoreError(file);
    return empty;
  };

  return {
    file,
    recordSeen: (message) => opened().recordSeen(message),
    markHandled: (messageId) => orEmpty(false, (s) => s.markHandled(messageId)),
    markFailed: (messageId, reason) => orEmpty(false, (s) => s.markFailed(messageId, reason)),
    getLedgerEntry: (messageId) => orEmpty(undefined, (s) => s.getLedgerEntry(messageId)),
    listUnhandled: (options) => orEmpty([], (s) => s.listUnhandled(options)),
    pruneLedger: (options) => orEmpty(0, (s) => s.pruneLedger(options)),
    getLastOnline: () => orEmpty(undefined, (s) => s.getLastOnline()),
    setLastOnline: (time) => opened().setLastOnline(time),
    getWatermark: (conversationId) => orEmpty(undefined, (s) => s.getWatermark(conversationId)),
    advanceWatermark: (conversationId, position) =>
      opened().advanceWatermark(conversationId, position),
    listWatermarks: () => orEmpty([], (s) => s.listWatermarks()),
    putPendingRequest: (request) => opened().putPendingRequest(request),
    getPendingRequest: (id) => orEmpty(undefined, (s) => s.getPendingRequest(id)),
    deletePendingRequest: (id) => orEmpty(false, (s) => s.deletePendingRequest(id)),
    listPendingRequests: (options) => orEmpty([], (s) => s.listPendingRequests(options)),
    takeExpiredRequests: (now) => orEmpty([], (s) => s.takeExpiredRequests(now)),
    putSettledRequest: (request) => opened().putSettledRequest(request),
    getSettledRequest: (id) => orEmpty(undefined, (s) => s.getSettledRequest(id)),
    settlePendingRequest: (id, outcome) =>
      orEmpty(false, (s) => s.settlePendingRequest(id, outcome)),
    pruneSettledRequests: (options) => orEmpty(0, (s) => s.pruneSettledRequests(options)),
    putChannel: (channel) => opened().putChannel(channel),
    getChannel: (channelId) => orEmpty(undefined, (s) => s.getChannel(channelId)),
    deleteChannel: (channelId) => orEmpty(false, (s) => s.deleteChannel(channelId)),
    listChannels: () => orEmpty([], (s) => s.listChannels()),
    // A transaction may write: it runs on the opened store.
    transaction: (fn) => opened().transaction(fn),
    flush: () => orEmpty(undefined, (s) => s.flush()),
    close() {
      if (closed) return;
      closed = true;
      real?.close();
    },
  };
}
