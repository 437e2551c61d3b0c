/** A timer handle as returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Time as the runtime sees it: injectable so tests drive retries and expiry without sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock: `Date.now` and Node timers. A started runtime's pending retry keeps the
 * process alive, as a server would; `stop()` clears every timer.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
