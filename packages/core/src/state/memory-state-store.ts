import type {
  CachedChannel,
  ConversationWatermark,
  LedgerEntry,
  PendingRequest,
  StateStore,
  Watermark,
} from './state-store.js';
import { closedStoreError, pruneCutoffs, watermarkMoves } from './state-store-rules.js';

/** Options of {@link createMemoryStateStore}. */
export interface MemoryStateStoreOptions {
  /** The clock for `seenAt`, `handledAt`, `updatedAt` and pruning; default `Date.now`. */
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
  const ledger = new Map<string, LedgerEntry>();
  const watermarks = new Map<string, Watermark>();
  const requests = new Map<string, PendingRequest>();
  const channels = new Map<string, CachedChannel>();
  let closed = false;

  const open = (): void => {
    if (closed) throw closedStoreError(undefined);
  };

  return {
    file: undefined,

    recordSeen(message) {
      open();
      if (ledger.has(message.messageId)) return false;
      ledger.set(message.messageId, {
        messageId: message.messageId,
        conversationId: message.conversationId,
        seq: message.seq,
        time: message.time,
        status: 'seen',
        seenAt: now(),
        handledAt: undefined,
      });
      return true;
    },

    markHandled(messageId) {
      open();
      const entry = ledger.get(messageId);
      if (!entry) return false;
      if (entry.status === 'seen') {
        entry.status = 'handled';
        entry.handledAt = now();
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
        const before = entry.status === 'handled' ? handledBefore : unhandledBefore;
        if (entry.seenAt < before) {
          ledger.delete(id);
          removed += 1;
        }
      }
      return removed;
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

    close() {
      closed = true;
    },
  };
}
