/** How {@link backoffDelay} grows and randomises its delays. */
export interface BackoffOptions {
  /** Base delay of the first attempt (attempt 0), in milliseconds. Default 2000. */
  initialDelayMs?: number;
  /** No delay is ever longer than this, in milliseconds. Default 300000 (5 minutes). */
  maxDelayMs?: number;
  /** Source of randomness in [0, 1); defaults to `Math.random`. Inject it to make delays exact. */
  random?: () => number;
}

/** Default base delay of the first attempt, in milliseconds. */
export const DEFAULT_BACKOFF_INITIAL_DELAY_MS = 2_000;
/** Default cap on any delay, in milliseconds. */
export const DEFAULT_BACKOFF_MAX_DELAY_MS = 300_000;

/**
 * The delay before retry number `attempt` (0 for the first retry after one failure):
 * capped exponential backoff with "equal jitter".
 *
 * The ceiling is `min(maxDelayMs, initialDelayMs * 2^attempt)`; the delay is drawn uniformly
 * from the upper half of it, `[ceiling / 2, ceiling)`. Half the delay is thus guaranteed (no
 * retry storm of near-zero waits), the other half spreads many clients apart, and no delay ever
 * exceeds `maxDelayMs`. Pure apart from `random`; the result is a whole number of milliseconds.
 *
 * @throws RangeError when `attempt` is negative or not an integer, or a delay option is not a
 *   positive finite number, or `maxDelayMs < initialDelayMs`.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialDelayMs ?? DEFAULT_BACKOFF_INITIAL_DELAY_MS;
  const max = options.maxDelayMs ?? DEFAULT_BACKOFF_MAX_DELAY_MS;
  if (!Number.isSafeInteger(attempt) || attempt < 0) {
    throw new RangeError(`attempt must be a non-negative integer, got ${String(attempt)}`);
  }
  if (!(Number.isFinite(initial) && initial > 0)) {
    throw new RangeError(`initialDelayMs must be a positive number, got ${String(initial)}`);
  }
  if (!(Number.isFinite(max) && max >= initial)) {
    throw new RangeError(
      `maxDelayMs must be a number no smaller than initialDelayMs (${initial}), got ${String(max)}`,
    );
  }
  // 2^attempt overflows to Infinity for huge attempts; Math.min caps it either way.
  const ceiling = Math.min(max, initial * 2 ** attempt);
  const r = Math.min(Math.max((options.random ?? Math.random)(), 0), 1);
  return Math.min(Math.round(ceiling / 2 + (ceiling / 2) * r), ceiling);
}
