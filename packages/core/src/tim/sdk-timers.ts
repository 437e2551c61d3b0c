import { processTicker, type SharedTicker, TickerSubscription } from './shared-ticker.js';

type Timeout = ReturnType<typeof setTimeout>;

/** A handle the SDK's timer functions return: a Node timer, or an interval on the shared ticker. */
export type SdkTimerHandle = Timeout | TickerSubscription;

/**
 * The timer functions one SDK instance sees, tracked so that every timer it leaves behind can
 * be cleared when the instance is released. tim-js-sdk 2.27.6 starts a 1 s "not logged in"
 * interval in its constructor that only its own tick clears, and `destroy()` does not: a client
 * destroyed between login and that tick would otherwise keep the process alive forever.
 *
 * Its intervals ride a {@link SharedTicker} (by default the process-wide one): each SDK
 * instance runs two 1 s intervals, and a thousand instances would otherwise wake the process
 * a thousand times a second. As in a browser, either clear function clears either kind.
 *
 * @internal
 */
export interface SdkTimers {
  setTimeout: (fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => Timeout;
  clearTimeout: (handle: SdkTimerHandle | undefined) => void;
  setInterval: (
    fn: (...args: unknown[]) => void,
    ms?: number,
    ...args: unknown[]
  ) => SdkTimerHandle;
  clearInterval: (handle: SdkTimerHandle | undefined) => void;
  /** Clears every timer still pending; returns how many there were. */
  clearAll(): number;
}

/** Options for {@link createSdkTimers}. */
export interface SdkTimersOptions {
  /**
   * The ticker intervals ride: the process-wide one by default; `null` gives each interval its
   * own Node interval (how the SDK ran before the ticker; kept for comparison in benchmarks).
   */
  ticker?: SharedTicker | null;
  /**
   * Receives what an interval callback on the shared ticker threw (which must not keep the
   * other callbacks of the same tick from running). By default it is thrown again on its own,
   * as an uncaught exception, the way a Node timer's would be.
   */
  onError?: (error: unknown) => void;
}

const rethrow = (error: unknown) =>
  queueMicrotask(() => {
    throw error;
  });

/** @internal */
export function createSdkTimers(options: SdkTimersOptions = {}): SdkTimers {
  const ticker = options.ticker === undefined ? processTicker : options.ticker;
  const onError = options.onError ?? rethrow;
  const live = new Set<SdkTimerHandle>();
  const clear = (handle: SdkTimerHandle | undefined) => {
    if (handle === undefined) return;
    live.delete(handle);
    if (handle instanceof TickerSubscription) handle.cancel();
    else clearTimeout(handle);
  };
  return {
    setTimeout(fn, ms, ...args) {
      const handle = setTimeout(() => {
        live.delete(handle);
        fn(...args);
      }, ms);
      live.add(handle);
      return handle;
    },
    setInterval(fn, ms, ...args) {
      const handle = ticker
        ? ticker.every(ms ?? 0, () => fn(...args), onError)
        : setInterval(fn, ms, ...args);
      live.add(handle);
      return handle;
    },
    clearTimeout: clear,
    clearInterval: clear,
    clearAll() {
      const count = live.size;
      for (const handle of [...live]) clear(handle);
      return count;
    },
  };
}
