import { type ConversationRef, conversationKey } from '../conversation/conversation-ref.js';
import { ClawlinkError } from '../errors/clawlink-error.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';

/** The messages of one conversation dispatched together, oldest first. */
export interface ConversationBatch<T> {
  readonly conversation: ConversationRef;
  /** `conversationKey(conversation)`. */
  readonly key: string;
  /** At most `maxBatch` items, in the order they were enqueued. */
  readonly items: readonly T[];
  /** Whether these are caught-up (history) items rather than live ones. */
  readonly catchUp: boolean;
}

/** Options of {@link createConversationQueue}. */
export interface ConversationQueueOptions<T> {
  /**
   * Dispatches one batch; the conversation's next batch waits until it settles. It should not
   * reject (a rejection is logged at `warn` and the conversation moves on). `signal` fires when
   * the queue stops.
   */
  dispatch: (batch: ConversationBatch<T>, signal: AbortSignal) => Promise<void>;
  clock: Clock;
  /**
   * How long a conversation must be quiet before its live items are dispatched, in ms: a burst
   * coalesces into one batch. 0 turns debouncing off (items enqueued in the same tick still
   * share a batch).
   */
  windowMs: number;
  /** Most items in one batch; a full batch is dispatched at once, the rest go in the next one. */
  maxBatch: number;
  /** Conversations dispatching at once; each conversation dispatches one batch at a time. */
  concurrency: number;
  logger?: Logger;
}

/** Options of {@link ConversationQueue.enqueue}. */
export interface EnqueueOptions {
  /** A caught-up (history) item: dispatched in catch-up batches, before the live items. */
  catchUp?: boolean;
}

/**
 * Orders inbound items per conversation and hands them to the dispatch in batches: strict order
 * within a conversation, conversations side by side up to `concurrency`.
 *
 * Catch-up: items enqueued with `catchUp: true` form their own batches (never mixed with live
 * items), are not debounced (history is all there at once), and go before the conversation's
 * live items that are still queued. A batch already dispatching is never overtaken, so enqueue
 * a conversation's caught-up items before its live ones (on reconnect: catch up first, then let
 * live messages through).
 */
export interface ConversationQueue<T> {
  /**
   * Queues one item. Throws a `ClawlinkError` with code `STOPPED` after {@link stop}.
   */
  enqueue(conversation: ConversationRef, item: T, options?: EnqueueOptions): void;
  /** Items of the conversation queued and not yet dispatched (catch-up and live). */
  depth(conversationKey: string): number;
  /** {@link depth} of every conversation that has queued items. */
  depths(): ReadonlyMap<string, number>;
  /**
   * Stops: drops every queued item (not yet dispatched) and returns them, aborts the signal of
   * the batches dispatching and waits for them to settle. Idempotent (later calls return []).
   */
  stop(): Promise<T[]>;
  /**
   * Changes `windowMs`, `maxBatch` and `concurrency` for what is enqueued and dispatched from
   * now on (a running batch is not affected). Throws a `RangeError` like the factory.
   */
  reconfigure(settings: QueueSettings): void;
}

/** The settings of a {@link ConversationQueue} that can change while it runs. */
export type QueueSettings = Pick<
  ConversationQueueOptions<unknown>,
  'windowMs' | 'maxBatch' | 'concurrency'
>;

function checkSettings({ windowMs, maxBatch, concurrency }: QueueSettings): void {
  if (!Number.isSafeInteger(windowMs) || windowMs < 0) {
    throw new RangeError(`windowMs must be a non-negative integer, got ${String(windowMs)}`);
  }
  for (const [name, value] of [
    ['maxBatch', maxBatch],
    ['concurrency', concurrency],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
    }
  }
}

interface Lane<T> {
  readonly conversation: ConversationRef;
  readonly key: string;
  readonly catchUp: T[];
  readonly live: T[];
  running: boolean;
  /** When the live items' debounce window ends (the latest arrival plus `windowMs`). */
  quietAt: number;
  timer: TimerHandle | undefined;
}

/**
 * Creates a {@link ConversationQueue}.
 *
 * @throws RangeError when `windowMs` is negative or not an integer, or `maxBatch` or
 *   `concurrency` is not a positive integer.
 */
export function createConversationQueue<T>(
  options: ConversationQueueOptions<T>,
): ConversationQueue<T> {
  const { clock } = options;
  checkSettings(options);
  let { windowMs, maxBatch, concurrency } = options;
  const logger = options.logger ?? silentLogger;
  const lanes = new Map<string, Lane<T>>();
  /** Keys of lanes with a batch ready and not running, in the order they became ready. */
  const ready = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  const stopping = new AbortController();
  let pumpScheduled = false;

  const isReady = (lane: Lane<T>): boolean =>
    !lane.running &&
    (lane.catchUp.length > 0 ||
      lane.live.length >= maxBatch ||
      (lane.live.length > 0 && clock.now() >= lane.quietAt));

  /** Files the lane as ready or not, arms its debounce timer if needed, forgets it when empty. */
  const review = (lane: Lane<T>): void => {
    const waitMs = lane.quietAt - clock.now();
    if (
      lane.timer === undefined &&
      lane.live.length > 0 &&
      lane.live.length < maxBatch &&
      waitMs > 0
    ) {
      lane.timer = clock.setTimeout(() => onQuiet(lane), waitMs);
    }
    if (isReady(lane)) ready.add(lane.key);
    else ready.delete(lane.key);
    if (!lane.running && lane.timer === undefined && lane.catchUp.length + lane.live.length === 0) {
      lanes.delete(lane.key);
    }
  };

  const schedulePump = (): void => {
    if (pumpScheduled) return;
    pumpScheduled = true;
    queueMicrotask(() => {
      pumpScheduled = false;
      pump();
    });
  };

  const pump = (): void => {
    for (const key of ready) {
      if (inFlight.size >= concurrency || stopping.signal.aborted) return;
      ready.delete(key);
      const lane = lanes.get(key);
      if (lane && isReady(lane)) start(lane);
    }
  };

  const start = (lane: Lane<T>): void => {
    const catchUp = lane.catchUp.length > 0;
    const items = (catchUp ? lane.catchUp : lane.live).splice(0, maxBatch);
    const batch: ConversationBatch<T> = {
      conversation: lane.conversation,
      key: lane.key,
      items,
      catchUp,
    };
    lane.running = true;
    const run = Promise.resolve()
      .then(() => options.dispatch(batch, stopping.signal))
      .catch((error: unknown) => {
        logger.warn(
          {
            conversation: lane.key,
            items: items.length,
            error: String((error as Error)?.message ?? error),
          },
          'dispatch of a batch rejected; the conversation moves on',
        );
      })
      .finally(() => {
        inFlight.delete(run);
        lane.running = false;
        review(lane);
        pump();
      });
    inFlight.add(run);
  };

  const onQuiet = (lane: Lane<T>): void => {
    lane.timer = undefined;
    review(lane);
    pump();
  };

  return {
    reconfigure(settings) {
      checkSettings(settings);
      ({ windowMs, maxBatch, concurrency } = settings);
      schedulePump();
    },
    enqueue(conversation, item, enqueueOptions = {}) {
      if (stopping.signal.aborted) {
        throw new ClawlinkError(
          'STOPPED',
          'Cannot queue the message: the conversation queue is stopped; start the runtime again.',
        );
      }
      const key = conversationKey(conversation);
      let lane = lanes.get(key);
      if (!lane) {
        lane = {
          conversation,
          key,
          catchUp: [],
          live: [],
          running: false,
          quietAt: 0,
          timer: undefined,
        };
        lanes.set(key, lane);
      }
      if (enqueueOptions.catchUp) {
        lane.catchUp.push(item);
      } else {
        lane.live.push(item);
        // Each arrival restarts the debounce window.
        lane.quietAt = clock.now() + windowMs;
        if (lane.timer !== undefined) clock.clearTimeout(lane.timer);
        lane.timer = undefined;
      }
      review(lane);
      schedulePump();
    },
    depth(key) {
      const lane = lanes.get(key);
      return lane ? lane.catchUp.length + lane.live.length : 0;
    },
    depths() {
      const result = new Map<string, number>();
      for (const lane of lanes.values()) {
        const depth = lane.catchUp.length + lane.live.length;
        if (depth > 0) result.set(lane.key, depth);
      }
      return result;
    },
    async stop() {
      const dropped: T[] = [];
      if (!stopping.signal.aborted) {
        stopping.abort(
          new ClawlinkError(
            'STOPPED',
            'The conversation queue was stopped: the runtime is stopping.',
          ),
        );
        for (const lane of lanes.values()) {
          if (lane.timer !== undefined) clock.clearTimeout(lane.timer);
          lane.timer = undefined;
          dropped.push(...lane.catchUp.splice(0), ...lane.live.splice(0));
        }
        ready.clear();
      }
      await Promise.allSettled([...inFlight]);
      lanes.clear();
      return dropped;
    },
  };
}
