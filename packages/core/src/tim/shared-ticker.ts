/** A real interval as an {@link IntervalSource} returns it. */
export interface IntervalHandle {
  ref(): unknown;
  unref(): unknown;
}

/** Where a ticker gets its real intervals: Node's timers, or a manual source in tests. */
export interface IntervalSource {
  setInterval(fn: () => void, ms: number): IntervalHandle;
  clearInterval(handle: IntervalHandle): void;
  /** Runs `fn` on a later turn of the event loop (a tick's next slice); default `setImmediate`. */
  nextTurn?(fn: () => void): void;
  /** A monotonic clock in milliseconds, to time a tick's slices; default `performance.now`. */
  now?(): number;
}

/** Node's own interval functions. */
const nodeIntervals: IntervalSource = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/**
 * How long one turn of a tick may run callbacks before the rest wait for the next turn, in
 * milliseconds: a thousand SDK instances' 1 s callbacks take 60 to 120 ms, which in one turn
 * stalls everything else (logins, messages) for that long.
 */
const TICK_SLICE_MS = 8;

/** The longest period Node's timers accept; anything else becomes 1 ms, as in Node. */
const TIMEOUT_MAX = 2 ** 31 - 1;

/** The callbacks of one period and the one real interval that drives them. */
interface Beat {
  readonly handle: IntervalHandle;
  readonly subscriptions: Set<TickerSubscription>;
  /** How many of them keep the process alive (see {@link TickerSubscription.ref}). */
  refs: number;
  /** The callbacks of the tick still running (over several turns), and the next one's index. */
  running: TickerSubscription[] | undefined;
  next: number;
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
 * second, where this makes it one. A tick runs its callbacks in slices of at most
 * {@link TICK_SLICE_MS} per turn of the event loop, so a thousand of them never hold up the
 * rest of the process for long; a tick that comes while the previous one is still running is
 * skipped (each callback runs at most once per period).
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
export function createSharedTicker(
  source: IntervalSource = nodeIntervals,
  options: { sliceMs?: number } = {},
): SharedTicker {
  const beats = new Map<number, Beat>();
  const sliceMs = options.sliceMs ?? TICK_SLICE_MS;
  const nextTurn = source.nextTurn ?? ((fn: () => void) => setImmediate(fn));
  const now = source.now ?? (() => performance.now());

  function tick(beat: Beat): void {
    if (beat.running) return;
    // A snapshot: callbacks added during this tick wait for the next one.
    beat.running = [...beat.subscriptions];
    beat.next = 0;
    runSlice(beat);
  }

  function runSlice(beat: Beat): void {
    const running = beat.running;
    if (!running) return;
    const started = now();
    while (beat.next < running.length) {
      const subscription = running[beat.next++] as TickerSubscription;
      // One cancelled meanwhile (by itself, another, or between two slices) does not run.
      if (subscription.active) subscription.run();
      if (beat.next < running.length && now() - started >= sliceMs) {
        nextTurn(() => runSlice(beat));
        return;
      }
    }
    beat.running = undefined;
  }

  function beatOf(period: number): Beat {
    const existing = beats.get(period);
    if (existing) return existing;
    const beat: Beat = {
      handle: source.setInterval(() => tick(beat), period),
      subscriptions: new Set(),
      refs: 0,
      running: undefined,
      next: 0,
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
