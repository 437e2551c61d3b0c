import { type ConversationRef, conversationKey } from '../conversation/conversation-ref.js';
import type { Logger } from '../logging/logger.js';
import type { StateStore, Watermark } from '../state/state-store.js';
import type { TimMessage } from '../tim/tim-message.js';
import type { PipelineConfig } from './pipeline-config.js';

/** TIM's largest history page. */
const HISTORY_PAGE = 100;

/** Where catch-up reads from: the account's conversations and their history. */
export interface CatchUpSource {
  /** Every conversation to catch up: joined groups and one-to-one chats in TIM's list. */
  conversations(): Promise<ConversationRef[]>;
  /**
   * History of a conversation, oldest first: the newest `count`, or the newest before `before`
   * (a message id, or for a group a message sequence number: only messages below it).
   */
  history(
    conversation: ConversationRef,
    options: { count: number; before?: string | number },
  ): Promise<TimMessage[]>;
}

/** What one catch-up did. */
export interface CatchUpReport {
  /** Conversations looked at. */
  readonly conversations: number;
  /** Messages fed to the pipeline (the ledger still drops those already handled). */
  readonly delivered: number;
  /** Messages after the watermark left out: older than `maxAgeMs`, or beyond `maxMessages`. */
  readonly skipped: number;
  /** Conversations whose history could not be read (logged; caught up on the next connect). */
  readonly failed: number;
}

/** Options of {@link catchUp}. */
export interface CatchUpOptions {
  readonly source: CatchUpSource;
  readonly store: StateStore;
  readonly config: PipelineConfig['catchUp'];
  readonly now: number;
  readonly logger: Logger;
  /** Feeds one caught-up message to the pipeline, oldest first per conversation. */
  readonly deliver: (message: TimMessage) => void;
}

/**
 * Catch-up after downtime: for each conversation, the history after its watermark (or, for a
 * conversation without one, after the time the account was last online; the very first start
 * catches up nothing) is fetched, bounded by `maxAgeMs` and `maxMessages` (the newest are
 * kept; what falls outside is skipped with one log line saying how many), and delivered in
 * order.
 */
export async function catchUp(options: CatchUpOptions): Promise<CatchUpReport> {
  const { source, store, config, now, logger } = options;
  if (config.maxAgeMs === 0) return { conversations: 0, delivered: 0, skipped: 0, failed: 0 };
  const lastOnline = store.getLastOnline();
  // The very first connect catches up nothing, but it is the baseline from now on, even when
  // this connection drops before the catch-up finishes: what arrives after it is caught up.
  // Durable at once: lost in a crash, the next start would take itself for the first again and
  // catch up nothing of what was said meanwhile.
  if (lastOnline === undefined) {
    store.setLastOnline(now);
    store.flush();
  }
  const conversations = await source.conversations();
  let delivered = 0;
  let skipped = 0;
  let failed = 0;
  for (const conversation of conversations) {
    const key = conversationKey(conversation);
    const watermark = store.getWatermark(key);
    const since = watermark?.time ?? lastOnline;
    if (since === undefined) continue;
    try {
      const cutoff = now - config.maxAgeMs;
      const missed = await missedMessages(source, conversation, watermark, since, cutoff);
      const kept = withinBounds(missed, config, now);
      const left = missed.length - kept.length;
      if (left > 0) {
        skipped += left;
        logSkipped(logger, key, left, kept.length);
      }
      for (const message of kept) options.deliver(message);
      delivered += kept.length;
    } catch (error) {
      failed++;
      logger.warn(
        { conversation: key, err: error instanceof Error ? error.message : String(error) },
        'catch-up could not read the history of a conversation',
      );
    }
  }
  return { conversations: conversations.length, delivered, skipped, failed };
}

/**
 * Of one conversation's missed messages (oldest first), those catch-up keeps: none older
 * than `maxAgeMs` before `now`, and of the rest the newest `maxMessages`.
 */
function withinBounds<M extends { time: number }>(
  missed: readonly M[],
  bounds: PipelineConfig['catchUp'],
  now: number,
): M[] {
  const cutoff = now - bounds.maxAgeMs;
  return missed.filter((message) => message.time >= cutoff).slice(-bounds.maxMessages);
}

/**
 * Missed messages received live after a (re)connect, while its catch-up ran, in arrival order:
 * TIM sends again, as new, the direct messages a session missed while its socket was away,
 * and right after a reconnect the SDK's history of such a chat can still be empty, so catch-up
 * never saw them. A message sent before the second the catch-up began in (`startedAt`; TIM's
 * times are whole seconds, and one of that very second may be live) is a missed one: per
 * conversation, those beyond catch-up's bounds are left out (logged like catch-up's own), the
 * rest kept in order.
 */
export function boundMissedLive(
  messages: readonly TimMessage[],
  bounds: PipelineConfig['catchUp'],
  startedAt: number,
  logger: Logger,
): { kept: TimMessage[]; leftOut: number } {
  const startSecond = Math.floor(startedAt / 1000) * 1000;
  const missedBy = new Map<string, TimMessage[]>();
  for (const message of messages) {
    if (message.time >= startSecond) continue;
    const key = conversationKey(message.conversation);
    const list = missedBy.get(key);
    if (list) list.push(message);
    else missedBy.set(key, [message]);
  }
  const left = new Set<TimMessage>();
  for (const [key, missed] of missedBy) {
    const kept = new Set(withinBounds(missed, bounds, startedAt));
    if (kept.size === missed.length) continue;
    for (const message of missed) if (!kept.has(message)) left.add(message);
    logSkipped(logger, key, missed.length - kept.size, kept.size);
  }
  return { kept: messages.filter((message) => !left.has(message)), leftOut: left.size };
}

function logSkipped(logger: Logger, key: string, skipped: number, kept: number): void {
  logger.info(
    { conversation: key, skipped, kept },
    `catch-up skipped ${skipped} message(s) of ${key} (older than catchUp.maxAgeMs or beyond catchUp.maxMessages)`,
  );
}

/**
 * The messages after the watermark (or `since`), oldest first, paging back until the watermark
 * or a message older than `cutoff` (older pages would all be skipped) is reached. A group is
 * paged by message sequence, a direct chat by message id (TIM's C2C history has no sequence:
 * each page is asked for before the oldest message of the last one, which the history source
 * resumes from), so a catch-up goes as deep as its bounds allow.
 */
async function missedMessages(
  source: CatchUpSource,
  conversation: ConversationRef,
  watermark: Watermark | undefined,
  since: number,
  cutoff: number,
): Promise<TimMessage[]> {
  const after = (message: TimMessage): boolean => {
    if (watermark?.messageId === message.id) return false;
    if (watermark?.seq !== undefined && message.seq !== undefined)
      return message.seq > watermark.seq;
    // TIM's times have second precision: a message in the same second as `since` is kept (the
    // ledger drops it when it was handled).
    return message.time >= Math.floor(since / 1000) * 1000;
  };
  const pages: TimMessage[][] = [];
  let before: string | number | undefined;
  for (;;) {
    const page = await source.history(conversation, {
      count: HISTORY_PAGE,
      ...(before === undefined ? {} : { before }),
    });
    const newer = page.filter(after);
    pages.unshift(newer);
    const oldest = page[0];
    if (oldest === undefined || newer.length < page.length || oldest.time < cutoff) break;
    if (conversation.type === 'group' && oldest.seq !== undefined) {
      // Recalled and deleted messages are left out of a page: a short page is not the end.
      if (oldest.seq <= 1) break;
      before = oldest.seq;
    } else {
      if (page.length < HISTORY_PAGE) break;
      before = oldest.id;
    }
  }
  return pages.flat();
}
