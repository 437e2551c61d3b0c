import type { GateReason } from './gate.js';
import type { DropReason } from './normalise.js';

/** A plain, JSON-able copy of the pipeline's counters at one moment (`runtime.metrics()`). */
export interface PipelineMetricsSnapshot {
  /** Messages received from TIM (live and caught up), before anything was dropped. */
  received: number;
  /** Messages dropped by normalise, by reason (own, system, unsupported, ...). */
  dropped: Partial<Record<DropReason, number>>;
  /** Messages dropped because the ledger had already seen them. */
  duplicates: number;
  /** Messages the gate kept from the dispatch, by reason. */
  gated: Partial<Record<GateReason, number>>;
  /** Dispatches started (one per batch; a retry is not a new dispatch). */
  dispatched: number;
  /** Replies sent whole (a string). */
  replied: number;
  /** Replies streamed (an async iterable). */
  streamed: number;
  /** TIM messages sent for replies (a long reply is several chunks). */
  chunksSent: number;
  /** Dispatch or send attempts repeated after a failure. */
  retries: number;
  /** Dispatches given up after their last attempt (or timed out). */
  failures: number;
  /** Messages delivered by catch-up after downtime. */
  caughtUp: number;
  /**
   * Missed messages that TIM sent again live after a reconnect, left out as catch-up leaves
   * them (older than `catchUp.maxAgeMs`, beyond `catchUp.maxMessages`).
   */
  leftOut: number;
  /** Messages waiting per conversation key (`group:<id>` / `c2c:<id>`); only non-empty queues. */
  queueDepth: Record<string, number>;
}

/** The pipeline's counters; every stage counts into one of these. */
export interface PipelineMetrics {
  /** Counts a message received from TIM. */
  received(): void;
  /** Counts a message normalise dropped. */
  dropped(reason: DropReason): void;
  /** Counts a duplicate the ledger dropped. */
  duplicate(): void;
  /** Counts a message the gate kept from the dispatch. */
  gated(reason: GateReason): void;
  /** Counts a dispatch started. */
  dispatched(): void;
  /** Counts a reply sent whole. */
  replied(): void;
  /** Counts a streamed reply. */
  streamed(): void;
  /** Counts `count` TIM messages sent for replies (default 1). */
  chunksSent(count?: number): void;
  /** Counts a retry. */
  retry(): void;
  /** Counts a dispatch given up. */
  failure(): void;
  /** Counts `count` messages delivered by catch-up (default 1). */
  caughtUp(count?: number): void;
  /** Counts `count` missed messages received live and left out. */
  leftOut(count: number): void;
  /** The counters now, with the queue depths read from the callback. */
  snapshot(): PipelineMetricsSnapshot;
}

/**
 * Creates the counters. `queueDepth` reports the messages waiting per conversation key when
 * a snapshot is taken (the queue owns that number; metrics only read it).
 */
export function createPipelineMetrics(
  queueDepth: () => Readonly<Record<string, number>> = () => ({}),
): PipelineMetrics {
  const totals = {
    received: 0,
    duplicates: 0,
    dispatched: 0,
    replied: 0,
    streamed: 0,
    chunksSent: 0,
    retries: 0,
    failures: 0,
    caughtUp: 0,
    leftOut: 0,
  };
  const dropped: Partial<Record<DropReason, number>> = {};
  const gated: Partial<Record<GateReason, number>> = {};
  const add = <Name extends string>(
    counts: Partial<Record<Name, number>>,
    name: Name,
    count: number,
  ): void => {
    counts[name] = (counts[name] ?? 0) + count;
  };
  return {
    received: () => add(totals, 'received', 1),
    dropped: (reason) => add(dropped, reason, 1),
    duplicate: () => add(totals, 'duplicates', 1),
    gated: (reason) => add(gated, reason, 1),
    dispatched: () => add(totals, 'dispatched', 1),
    replied: () => add(totals, 'replied', 1),
    streamed: () => add(totals, 'streamed', 1),
    chunksSent: (count = 1) => add(totals, 'chunksSent', count),
    retry: () => add(totals, 'retries', 1),
    failure: () => add(totals, 'failures', 1),
    caughtUp: (count = 1) => add(totals, 'caughtUp', count),
    leftOut: (count) => add(totals, 'leftOut', count),
    snapshot: () => {
      const depth: Record<string, number> = {};
      for (const [key, value] of Object.entries(queueDepth())) if (value > 0) depth[key] = value;
      return { ...totals, dropped: { ...dropped }, gated: { ...gated }, queueDepth: depth };
    },
  };
}
