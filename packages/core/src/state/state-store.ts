/**
 * Where an inbound message stands: `seen` (recorded, its dispatch has not finished: it is
 * dispatched again after a restart), `handled` (dispatched and answered) or `failed` (its
 * dispatch or reply failed for good: recorded so it is not retried forever).
 */
export type LedgerStatus = 'seen' | 'handled' | 'failed';

/**
 * What {@link StateStore.recordSeen} found: `'new'` the first time a message id is recorded
 * (it is now `seen`), else the status the message already had (nothing changed). Dispatch
 * `'new'` and `'seen'` (a redelivery of a message whose dispatch never finished); drop
 * `'handled'` and `'failed'`.
 */
export type LedgerAdmission = 'new' | LedgerStatus;

/** How long a {@link StateStore.markFailed} reason may be; a longer one is cut to this. */
export const MAX_FAILURE_REASON_LENGTH = 200;

/** What {@link StateStore.recordSeen} is told about an inbound message. */
export interface SeenMessage {
  /** TIM's message id (unique within the account). */
  messageId: string;
  /**
   * The conversation's key, as `conversationKey()` builds it: `group:<groupId>` or
   * `c2c:<userId>`, e.g. `group:team` or `c2c:alice`.
   */
  conversationId: string;
  /** The message's sequence number in its conversation, when TIM gives one. */
  seq?: number;
  /** The message's own timestamp as TIM reports it (stored and compared as given). */
  time: number;
}

/** One inbound message as the ledger remembers it. */
export interface LedgerEntry {
  /** TIM's message id. */
  messageId: string;
  /** The conversation key it was recorded with (see {@link SeenMessage.conversationId}). */
  conversationId: string;
  /** Its sequence number, when TIM gave one. */
  seq: number | undefined;
  /** Its timestamp as TIM reported it. */
  time: number;
  /** Where it stands. */
  status: LedgerStatus;
  /** When the store first saw it, in milliseconds since the epoch (the store's clock). */
  seenAt: number;
  /** When it was marked handled (store's clock, ms); `undefined` unless `handled`. */
  handledAt: number | undefined;
  /** When it was marked failed (store's clock, ms); `undefined` unless `failed`. */
  failedAt: number | undefined;
  /** Why it failed, as given to {@link StateStore.markFailed}; `undefined` unless `failed`. */
  failureReason: string | undefined;
}

/** Options of {@link StateStore.pruneLedger}. */
export interface PruneLedgerOptions {
  /** Handled and failed entries first seen longer ago than this (milliseconds) are removed. */
  olderThanMs: number;
  /**
   * Unhandled (`seen`) entries are removed only when first seen longer ago than this AND than
   * `olderThanMs`: they are messages whose dispatch never finished, kept so they can be
   * retried. Default {@link DEFAULT_UNHANDLED_RETENTION_MS} (7 days).
   */
  unhandledOlderThanMs?: number;
}

/** How long {@link StateStore.pruneLedger} keeps unhandled entries by default: 7 days. */
export const DEFAULT_UNHANDLED_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** A position in a conversation, as given to {@link StateStore.advanceWatermark}. */
export interface WatermarkPosition {
  /** Timestamp of the last handled message (same unit as {@link SeenMessage.time}). */
  time: number;
  /** Its sequence number, when known; preferred over `time` for ordering. */
  seq?: number;
  /** Its message id, when known. */
  messageId?: string;
}

/** How far a conversation has been handled; catch-up fetches history after it. */
export interface Watermark {
  /** Timestamp of the last handled message (same unit as {@link SeenMessage.time}). */
  time: number;
  /** Its sequence number, when known. */
  seq: number | undefined;
  /** Its message id, when known. */
  messageId: string | undefined;
  /** When the watermark last moved, in milliseconds since the epoch (the store's clock). */
  updatedAt: number;
}

/** A watermark together with its conversation, as listed by {@link StateStore.listWatermarks}. */
export interface ConversationWatermark extends Watermark {
  /** The conversation key. */
  conversationId: string;
}

/** Who started an agent-to-agent request: this agent (`outbound`) or the peer (`inbound`). */
export type PendingRequestDirection = 'outbound' | 'inbound';

/** An agent-to-agent request still waiting for its response. */
export interface PendingRequest {
  /** The request's correlation id. */
  id: string;
  /** The other agent's TIM UserID. */
  peer: string;
  /** Who started it. */
  direction: PendingRequestDirection;
  /** What was asked. */
  task: string;
  /** Anything else the request carries, serialised by the caller (e.g. JSON). */
  payload?: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** When the request expires, in milliseconds since the epoch. */
  deadlineAt: number;
}

/** How an agent request ended. */
export type SettledRequestStatus = 'ok' | 'refused' | 'failed' | 'timeout';

/**
 * An agent request that has ended, kept so a duplicate delivery of the same id is answered
 * from it (not run again) and a late response is still shown after a restart.
 */
export interface SettledRequest {
  /** The request's correlation id. */
  id: string;
  /** The other agent's TIM UserID. */
  peer: string;
  /** Who started it. */
  direction: PendingRequestDirection;
  /** How it ended. */
  status: SettledRequestStatus;
  /** The answer, serialised by the caller (e.g. JSON), when there is one. */
  result?: string;
  /** Why it was refused or failed, when known (a short code or message, never a secret). */
  reason?: string;
  /**
   * When it ended, in milliseconds since the epoch; {@link StateStore.pruneSettledRequests}
   * compares it with the store's clock.
   */
  settledAt: number;
}

/** How a pending request ended, as given to {@link StateStore.settlePendingRequest}. */
export type SettledRequestOutcome = Pick<
  SettledRequest,
  'status' | 'result' | 'reason' | 'settledAt'
>;

/** A channel's cached settings. */
export interface CachedChannel {
  /** The TIM group id. */
  channelId: string;
  /** The group's name. */
  name: string;
  /** The channel's skill (instructions for agents in it), when it has one. */
  skill?: string;
  /** The group's custom fields, as strings. */
  customFields: Record<string, string>;
  /** When this cache entry was written, in milliseconds since the epoch. */
  updatedAt: number;
}

/**
 * What one account remembers across restarts: the inbound message ledger (dedupe and
 * at-least-once handling), per-conversation watermarks and the time the account was last
 * online (catch-up), pending and settled agent requests, and a channel cache. Every method is
 * synchronous; writes may be batched (see {@link StateStore.flush}). Values returned are copies: changing them does not change the store.
 *
 * Every method throws a `StateStoreError` (code `STATE_STORE_ERROR`, `operation` naming the
 * method, the SQLite error as `cause`) when the file cannot be read or written; after
 * {@link StateStore.close}, every method except `close` throws one.
 */
export interface StateStore {
  /** The SQLite file behind this store; `undefined` for an in-memory store. */
  readonly file: string | undefined;

  /**
   * Records an inbound message (at-least-once): returns `'new'` the first time its id is
   * seen (now recorded `seen`), else the status it already has, changing nothing. A message
   * still `seen` after a crash is answered `'seen'` when it is delivered again, so it is
   * dispatched again; only `handled` and `failed` messages are dropped as duplicates.
   */
  recordSeen(message: SeenMessage): LedgerAdmission;
  /**
   * Marks a message handled (idempotent: a second call keeps the first `handledAt`). Returns
   * whether it is now `handled`: `false` when the ledger has no entry for `messageId`
   * (nothing is recorded then) or the entry is `failed` (which is final and stays).
   */
  markHandled(messageId: string): boolean;
  /**
   * Marks a message whose dispatch or reply failed for good `failed`: it is kept (a redelivery
   * is answered `'failed'`, never dispatched again) and no longer listed as unhandled.
   * `reason` is a short code or message, never a secret; it is cut to
   * {@link MAX_FAILURE_REASON_LENGTH} characters. Idempotent (a second call keeps the first
   * reason and `failedAt`). Returns whether it is now `failed`: `false` when the ledger has
   * no entry for `messageId` or the entry is `handled` (which is final and stays).
   */
  markFailed(messageId: string, reason: string): boolean;
  /** The ledger entry of a message, or `undefined`. */
  getLedgerEntry(messageId: string): LedgerEntry | undefined;
  /**
   * Entries still `seen` (not `handled`, not `failed`), oldest first (by `seenAt`, then in
   * recording order): messages whose dispatch never finished.
   */
  listUnhandled(options?: { limit?: number }): LedgerEntry[];
  /**
   * Removes old ledger entries and returns how many. Handled and failed entries go once first
   * seen longer ago than `olderThanMs`; unhandled ones are kept longer (see
   * {@link PruneLedgerOptions.unhandledOlderThanMs}).
   */
  pruneLedger(options: PruneLedgerOptions): number;

  /**
   * When this account was last seen online, as given to {@link StateStore.setLastOnline}, or
   * `undefined` before the first call. Kept across restarts; the catch-up fetches history
   * after it for conversations without a watermark.
   */
  getLastOnline(): number | undefined;
  /**
   * Records when this account was last seen online (stored and returned as given, like a
   * watermark's `time`; the store does not interpret its unit). Replaces the previous value.
   */
  setLastOnline(time: number): void;

  /** The watermark of a conversation, or `undefined` when it has none. */
  getWatermark(conversationId: string): Watermark | undefined;
  /**
   * Moves a conversation's watermark forward, never back: by `seq` when both the current and
   * the new position have one, else by `time`. Returns whether it moved.
   */
  advanceWatermark(conversationId: string, position: WatermarkPosition): boolean;
  /** Every watermark, ordered by conversation id. */
  listWatermarks(): ConversationWatermark[];

  /** Stores a pending request, replacing one with the same id. */
  putPendingRequest(request: PendingRequest): void;
  /** A pending request by id, or `undefined`. */
  getPendingRequest(id: string): PendingRequest | undefined;
  /** Removes a pending request; returns whether there was one. */
  deletePendingRequest(id: string): boolean;
  /** Pending requests (optionally of one direction), oldest `createdAt` first. */
  listPendingRequests(options?: { direction?: PendingRequestDirection }): PendingRequest[];
  /**
   * Atomically removes and returns every request whose `deadlineAt` is at or before `now`,
   * earliest deadline first. Each expired request is returned exactly once.
   */
  takeExpiredRequests(now: number): PendingRequest[];

  /**
   * Stores a settled request unless one with the same id is already settled (a settled
   * request never changes: a duplicate is answered from the first). Returns whether it was
   * stored.
   */
  putSettledRequest(request: SettledRequest): boolean;
  /** A settled request by id, or `undefined`. */
  getSettledRequest(id: string): SettledRequest | undefined;
  /**
   * Settles a pending request in one transaction: removes its pending row and stores it as
   * settled (`id`, `peer`, `direction` from the pending row, the rest from `outcome`; an
   * existing settled row of that id is kept, as {@link StateStore.putSettledRequest} does).
   * Returns `false`, changing nothing, when `id` was not pending, so a late or duplicate
   * response settles nothing twice.
   */
  settlePendingRequest(id: string, outcome: SettledRequestOutcome): boolean;
  /**
   * Removes settled requests whose `settledAt` is longer ago than `olderThanMs` (by the
   * store's clock) and returns how many. Prune them with the ledger, with the same age.
   */
  pruneSettledRequests(options: { olderThanMs: number }): number;

  /** Stores a channel's settings, replacing what was cached for it. */
  putChannel(channel: CachedChannel): void;
  /** A cached channel, or `undefined`. */
  getChannel(channelId: string): CachedChannel | undefined;
  /** Drops a channel from the cache; returns whether it was there. */
  deleteChannel(channelId: string): boolean;
  /** Every cached channel, ordered by channel id. */
  listChannels(): CachedChannel[];

  /**
   * Runs `fn` as one transaction and returns what it returns: every store call inside it is
   * committed together when `fn` returns, or none when it throws (the error is rethrown).
   * Use it to write a burst of ledger changes at once; a change is durable only once the
   * outermost `transaction` has returned (which also commits the writes batched before it,
   * see {@link StateStore.flush}). Calls may nest (an inner one is part of the outer; an inner
   * one that throws undoes only its own changes). `fn` must be synchronous: when it returns a
   * promise, its changes are undone and a `TypeError` is thrown.
   */
  transaction<T>(fn: () => T): T;

  /**
   * Makes every write so far durable now. A store may batch writes (the SQLite store does by
   * default): each write is visible to every later call at once, but committed with the other
   * writes of its batch (the SQLite store's: those of `batchWindowMs`, 100 ms, from the first).
   * A crash loses at most the writes of the batch it interrupts, and always a suffix of the
   * writes (never an older write while keeping a later one): at-least-once holds either way,
   * a lost `markHandled` is delivered again.
   * Call `flush` after `markHandled` before telling anyone outside the process that the
   * message is handled (the point after which a crash must not deliver it again). Inside
   * {@link StateStore.transaction} it does nothing (the transaction commits when it returns).
   * A no-op for a store that does not batch. Throws a `StateStoreError` when the commit fails
   * (the batch is then lost, as by a crash) or the store is closed.
   */
  flush(): void;

  /** Commits what is batched ({@link StateStore.flush}), then releases the store. Idempotent. */
  close(): void;
}
