import type {
  CachedChannel,
  ConversationWatermark,
  LedgerEntry,
  PendingRequest,
  SettledRequest,
  StateStore,
  Watermark,
} from './state-store.js';
import {
  asyncTransactionError,
  closedStoreError,
  failureReason,
  isThenable,
  pruneCutoffs,
  watermarkMoves,
} from './state-store-rules.js';

/** Options of {@link createMemoryStateStore}. */
export interface MemoryStateStoreOptions {
  /**
   * The clock for `seenAt`, `handledAt`, `failedAt`, `updatedAt` and pruning; default
   * `Date.now`.
   */
  now?: () => number;
}

const copyRequest = (r: PendingRequest): PendingRequest => ({
  id: r.id,
  peer: r.peer,
  direction: r.direction,
  task: r.task,
  ...(r.payload === undefined ? {} : { payload: r.payload }),
  createdAt: r.createdAt,
  deadlineAt: r.deadlineAt,
});

const copySettled = (r: SettledRequest): SettledRequest => ({
  id: r.id,
  peer: r.peer,
  direction: r.direction,
  status: r.status,
  ...(r.result === undefined ? {} : { result: r.result }),
  ...(r.reason === undefined ? {} : { reason: r.reason }),
  settledAt: r.settledAt,
});

const copyChannel = (c: CachedChannel): CachedChannel => ({
  channelId: c.channelId,
  name: c.name,
  ...(c.skill === undefined ? {} : { skill: c.skill }),
  customFields: { ...c.customFields },
  updatedAt: c.updatedAt,
});

const byKey =
  <T>(key: (item: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/**
 * A {@link StateStore} that lives in memory and is lost on exit: for tests, demos and hosts
 * that keep no local state. Behaves exactly like the SQLite store (same conformance suite).
 */
export function createMemoryStateStore(options: MemoryStateStoreOptions = {}): StateStore {
  const now = options.now ?? Date.now;
  // Map iteration order is insertion order, which breaks `seenAt` ties like SQLite's rowid.
  let ledger = new Map<string, LedgerEntry>();
  let watermarks = new Map<string, Watermark>();
  let requests = new Map<string, PendingRequest>();
  let settled = new Map<string, SettledRequest>();
  let channels = new Map<string, CachedChannel>();
  let lastOnline: number | undefined;
  let closed = false;

  // What `transaction` restores when its function throws. Stored values are replaced, never
  // mutated in place, except ledger entries, so those are copied.
  const snapshot = () => ({
    ledger: new Map([...ledger].map(([id, entry]) => [id, { ...entry }])),
    watermarks: new Map(watermarks),
    requests: new Map(requests),
    settled: new Map(settled),
    channels: new Map(channels),
    lastOnline,
  });

  const open = (): void => {
    if (closed) throw closedStoreError(undefined);
  };

  return {
    file: undefined,

    recordSeen(message) {
      open();
      const known = ledger.get(message.messageId);
      if (known) return known.status;
      ledger.set(message.messageId, {
        messageId: message.messageId,
        conversationId: message.conversationId,
        seq: message.seq,
        time: message.time,
        status: 'seen',
        seenAt: now(),
        handledAt: undefined,
        failedAt: undefined,
        failureReason: undefined,
      });
      return 'new';
    },

    markHandled(messageId) {
      open();
      const entry = ledger.get(messageId);
      if (!entry || entry.status === 'failed') return false;
      if (entry.status === 'seen') {
        entry.status = 'handled';
        entry.handledAt = now();
      }
      return true;
    },

    markFailed(messageId, reason) {
      open();
      const entry = ledger.get(messageId);
      if (!entry || entry.status === 'handled') return false;
      if (entry.status === 'seen') {
        entry.status = 'failed';
        entry.failedAt = now();
        entry.failureReason = failureReason(reason);
      }
      return true;
    },

    getLedgerEntry(messageId) {
      open();
      const entry = ledger.get(messageId);
      return entry ? { ...entry } : undefined;
    },

    listUnhandled(listOptions = {}) {
      open();
      const unhandled = [...ledger.values()]
        .filter((e) => e.status === 'seen')
        .sort((a, b) => a.seenAt - b.seenAt)
        .map((e) => ({ ...e }));
      return listOptions.limit === undefined ? unhandled : unhandled.slice(0, listOptions.limit);
    },

    pruneLedger(pruneOptions) {
      open();
      const { handledBefore, unhandledBefore } = pruneCutoffs(now(), pruneOptions);
      let removed = 0;
      for (const [id, entry] of ledger) {
        const before = entry.status === 'seen' ? unhandledBefore : handledBefore;
        if (entry.seenAt < before) {
          ledger.delete(id);
          removed += 1;
        }
      }
      return removed;
    },

    getLastOnline() {
      open();
      return lastOnline;
    },

    setLastOnline(time) {
      open();
      lastOnline = time;
    },

    getWatermark(conversationId) {
      open();
      const mark = watermarks.get(conversationId);
      return mark ? { ...mark } : undefined;
    },

    advanceWatermark(conversationId, position) {
      open();
      if (!watermarkMoves(watermarks.get(conversationId), position)) return false;
      watermarks.set(conversationId, {
        time: position.time,
        seq: position.seq,
        messageId: position.messageId,
        updatedAt: now(),
      });
      return true;
    },

    listWatermarks() {
      open();
      return [...watermarks]
        .map(([conversationId, mark]): ConversationWatermark => ({ conversationId, ...mark }))
        .sort(byKey((w) => w.conversationId));
    },

    putPendingRequest(request) {
      open();
      requests.set(request.id, copyRequest(request));
    },

    getPendingRequest(id) {
      open();
      const request = requests.get(id);
      return request ? copyRequest(request) : undefined;
    },

    deletePendingRequest(id) {
      open();
      return requests.delete(id);
    },

    listPendingRequests(listOptions = {}) {
      open();
      return [...requests.values()]
        .filter((r) => listOptions.direction === undefined || r.direction === listOptions.direction)
        .sort((a, b) => a.createdAt - b.createdAt || byKey<PendingRequest>((r) => r.id)(a, b))
        .map(copyRequest);
    },

    takeExpiredRequests(at) {
      open();
      const expired = [...requests.values()]
        .filter((r) => r.deadlineAt <= at)
        .sort((a, b) => a.deadlineAt - b.deadlineAt || byKey<PendingRequest>((r) => r.id)(a, b));
      for (const r of expired) requests.delete(r.id);
      return expired;
    },

    putSettledRequest(request) {
      open();
      if (settled.has(request.id)) return false;
      settled.set(request.id, copySettled(request));
      return true;
    },

    getSettledRequest(id) {
      open();
      const request = settled.get(id);
      return request ? copySettled(request) : undefined;
    },

    settlePendingRequest(id, outcome) {
      open();
      const pending = requests.get(id);
      if (!pending) return false;
      requests.delete(id);
      if (!settled.has(id)) {
        settled.set(
          id,
          copySettled({ ...outcome, id, peer: pending.peer, direction: pending.direction }),
        );
      }
      return true;
    },

    pruneSettledRequests(pruneOptions) {
      open();
      const before = now() - pruneOptions.olderThanMs;
      let removed = 0;
      for (const [id, request] of settled) {
        if (request.settledAt < before) {
          settled.delete(id);
          removed += 1;
        }
      }
      return removed;
    },

    putChannel(channel) {
      open();
      channels.set(channel.channelId, copyChannel(channel));
    },

    getChannel(channelId) {
      open();
      const channel = channels.get(channelId);
      return channel ? copyChannel(channel) : undefined;
    },

    deleteChannel(channelId) {
      open();
      return channels.delete(channelId);
    },

    listChannels() {
      open();
      return [...channels.values()].sort(byKey((c) => c.channelId)).map(copyChannel);
    },

    transaction(fn) {
      open();
      const before = snapshot();
      try {
        const result = fn();
        if (isThenable(result)) throw asyncTransactionError();
        return result;
      } catch (error) {
        ({ ledger, watermarks, requests, settled, channels, lastOnline } = before);
        throw error;
      }
    },

    flush() {
      open();
    },

    close() {
      closed = true;
    },
  };
}
