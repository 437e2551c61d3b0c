/** Whether an inbound message has only been seen, or its dispatch has finished. */
export type LedgerStatus = 'seen' | 'handled';

/** What {@link StateStore.recordSeen} is told about an inbound message. */
export interface SeenMessage {
  /** TIM's message id (unique within the account). */
  messageId: string;
  /** The conversation the message belongs to, e.g. `GROUP:team` or `C2C:alice`. */
  conversationId: string;
  /** The message's sequence number in its conversation, when TIM gives one. */
  seq?: number;
  /** The message's own timestamp as TIM reports it (stored and compared as given). */
  time: number;
}

/** One inbound message as the ledger remembers it. */
export interface LedgerEntry {
  messageId: string;
  conversationId: string;
  seq: number | undefined;
  time: number;
  status: LedgerStatus;
  /** When the store first saw it, in milliseconds since the epoch (the store's clock). */
  seenAt: number;
  /** When it was marked handled, in milliseconds since the epoch; `undefined` while `seen`. */
  handledAt: number | undefined;
}

/** Options of {@link StateStore.pruneLedger}. */
export interface PruneLedgerOptions {
  /** Handled entries first seen longer ago than this (milliseconds) are removed. */
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
  time: number;
  seq: number | undefined;
  messageId: string | undefined;
  /** When the watermark last moved, in milliseconds since the epoch (the store's clock). */
  updatedAt: number;
}

/** A watermark together with its conversation, as listed by {@link StateStore.listWatermarks}. */
export interface ConversationWatermark extends Watermark {
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

/** A channel's cached settings. */
export interface CachedChannel {
  /** The TIM group id. */
  channelId: string;
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
 * at-least-once handling), per-conversation watermarks (catch-up), pending agent requests and
 * a channel cache. Every method is synchronous. Values returned are copies: changing them
 * does not change the store.
 *
 * After {@link StateStore.close}, every method except `close` throws a `StateStoreError`.
 */
export interface StateStore {
  /** The SQLite file behind this store; `undefined` for an in-memory store. */
  readonly file: string | undefined;

  /**
   * Records an inbound message. Returns `true` the first time a message id is seen and
   * `false` for a duplicate (which changes nothing).
   */
  recordSeen(message: SeenMessage): boolean;
  /**
   * Marks a seen message handled (idempotent: a second call keeps the first `handledAt`).
   * Returns `false` when the ledger has no entry for `messageId` (nothing is recorded then).
   */
  markHandled(messageId: string): boolean;
  /** The ledger entry of a message, or `undefined`. */
  getLedgerEntry(messageId: string): LedgerEntry | undefined;
  /** Entries still `seen`, oldest first (by `seenAt`, then in recording order). */
  listUnhandled(options?: { limit?: number }): LedgerEntry[];
  /**
   * Removes old ledger entries and returns how many. Handled entries go once first seen
   * longer ago than `olderThanMs`; unhandled ones are kept longer (see
   * {@link PruneLedgerOptions.unhandledOlderThanMs}).
   */
  pruneLedger(options: PruneLedgerOptions): number;

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

  /** Stores a channel's settings, replacing what was cached for it. */
  putChannel(channel: CachedChannel): void;
  /** A cached channel, or `undefined`. */
  getChannel(channelId: string): CachedChannel | undefined;
  /** Drops a channel from the cache; returns whether it was there. */
  deleteChannel(channelId: string): boolean;
  /** Every cached channel, ordered by channel id. */
  listChannels(): CachedChannel[];

  /** Releases the store (closes the SQLite file). Idempotent. */
  close(): void;
}
