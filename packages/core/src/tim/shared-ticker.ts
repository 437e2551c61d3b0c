/** A real interval as an {@link IntervalSource} returns it. */
export interface IntervalHandle {
  ref(): unknown;
  unref(): unknown;
}

/** Where a ticker gets its real intervals: Node's timers, or a manual source in tests. */
export interface IntervalSource {
  setInterval(fn: () => void, ms: number): IntervalHandle;
  clearInterval(handle: IntervalHandle): void;
}

/** Node's own interval functions. */
const nodeIntervals: IntervalSource = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** The longest period Node's timers accept; anything else becomes 1 ms, as in Node. */
const TIMEOUT_MAX = 2 ** 31 - 1;

/** The callbacks of one period and the one real interval that drives them. */
interface Beat {
  readonly handle: IntervalHandle;
  readonly subscriptions: Set<TickerSubscription>;
  /** How many of them keep the process alive (see {@link TickerSubscription.ref}). */
  refs: number;
}

let nextId = 0;

/** What a subscription tells its ticker: a change of its ref count, and whether it ended. */
type SubscriptionChanged = (
  subscription: TickerSubscription,
  refDelta: -1 | 0 | 1,
  cancelled: boolean,
) => void;

/**
 * One callback registered on a {@link SharedTicker}: the handle `setInterval` hands the SDK.
 * Like a Node `Timeout`, it converts to a positive number (the SDK tests `handle > 0`) and can
 * be unref'd.
 */
export class TickerSubscription {
  /** A positive id, unique in the process. */
  readonly id = ++nextId;
  #active = true;
  #ref = true;
  readonly #callback: () => void;
  readonly #onError: (error: unknown) => void;
  readonly #changed: SubscriptionChanged;

  /** @internal Made by {@link SharedTicker.every}. */
  constructor(
    callback: () => void,
    onError: (error: unknown) => void,
    changed: SubscriptionChanged,
  ) {
    this.#callback = callback;
    this.#onError = onError;
    this.#changed = changed;
  }

  /** Whether the callback still runs on the ticks to come. */
  get active(): boolean {
    return this.#active;
  }

  /** Stops the callback; the ticker's real interval stops with its last callback. */
  cancel(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#changed(this, this.#ref ? -1 : 0, true);
  }

  /** Keeps the process alive while the callback is registered (the default, as in Node). */
  ref(): this {
    if (this.#active && !this.#ref) {
      this.#ref = true;
      this.#changed(this, 1, false);
    }
    return this;
  }

  /** Lets the process exit although the callback is registered. */
  unref(): this {
    if (this.#active && this.#ref) {
      this.#ref = false;
      this.#changed(this, -1, false);
    }
    return this;
  }

  /** Whether the callback keeps the process alive. */
  hasRef(): boolean {
    return this.#active && this.#ref;
  }

  [Symbol.toPrimitive](): number {
    return this.id;
  }

  /** @internal Runs the callback once; what it throws goes to its `onError`. */
  run(): void {
    try {
      this.#callback();
    } catch (error) {
      this.#onError(error);
    }
  }
}

/**
 * One clock for many periodic callbacks: a single real interval per distinct period, fanning
 * out to every callback registered for it, in registration order. tim-js-sdk runs a 1 s
 * interval per instance; with a thousand instances that is a thousand timer wake-ups a
 * second, where this makes it one.
 */
export interface SharedTicker {
  /**
   * Runs `callback` every `periodMs` (a period Node would refuse becomes 1 ms, as in Node) until
   * the subscription is cancelled. The first run comes at the next tick of that period's
   * interval, so within one period. A callback registered during a tick first runs on the next
   * one; one cancelled during a tick (by itself or another) does not run again. What a callback
   * throws goes to `onError`, and the other callbacks still run.
   */
  every(
    periodMs: number,
    callback: () => void,
    onError: (error: unknown) => void,
  ): TickerSubscription;
  /** How many real intervals run now: one per period with a callback registered. */
  intervals(): number;
  /** How many callbacks are registered. */
  subscriptions(): number;
}

/**
 * Creates a {@link SharedTicker} over `source` (Node's timers by default). A period's real
 * interval starts with its first callback and stops with its last; it keeps the process alive
 * exactly while one of its callbacks does.
 */
export function createSharedTicker(source: IntervalSource = nodeIntervals): SharedTicker {
  const beats = new Map<number, Beat>();

  function tick(beat: Beat): void {
    // A snapshot: callbacks added during this tick wait for the next one.
    for (const subscription of [...beat.subscriptions]) {
      if (subscription.active) subscription.run();
    }
  }

  function beatOf(period: number): Beat {
    const existing = beats.get(period);
    if (existing) return existing;
    const beat: Beat = {
      handle: source.setInterval(() => tick(beat), period),
      subscriptions: new Set(),
      refs: 0,
    };
    beats.set(period, beat);
    return beat;
  }

  return {
    every(periodMs, callback, onError) {
      const ms = Number(periodMs);
      const period = ms >= 1 && ms <= TIMEOUT_MAX ? ms : 1;
      const beat = beatOf(period);
      const subscription = new TickerSubscription(callback, onError, (sub, refDelta, cancelled) => {
        const refsBefore = beat.refs;
        beat.refs += refDelta;
        if (cancelled) {
          beat.subscriptions.delete(sub);
          if (beat.subscriptions.size === 0) {
            source.clearInterval(beat.handle);
            beats.delete(period);
            return;
          }
        }
        if (refsBefore > 0 && beat.refs === 0) beat.handle.unref();
        else if (refsBefore === 0 && beat.refs > 0) beat.handle.ref();
      });
      beat.subscriptions.add(subscription);
      beat.refs += 1;
      if (beat.refs === 1) beat.handle.ref();
      return subscription;
    },
    intervals: () => beats.size,
    subscriptions: () => {
      let count = 0;
      for (const beat of beats.values()) count += beat.subscriptions.size;
      return count;
    },
  };
}

/** The process-wide ticker every TIM SDK instance's intervals ride (see `sdk-timers.ts`). */
export const processTicker: SharedTicker = createSharedTicker();
