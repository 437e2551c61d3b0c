import { backoffDelay } from '../credentials/backoff.js';
import type { Clock, TimerHandle } from './clock.js';

/**
 * The runtime's background timers:
 * - `retry`: the next login attempt after a failure (with backoff);
 * - `refresh`: fetching new credentials ahead of expiry;
 * - `grace`: how long the SDK may restore a dropped connection on its own.
 */
export type SupervisorTimer = 'retry' | 'refresh' | 'grace';

/**
 * The timers that bring an account's connection back, over an injectable {@link Clock}, and
 * the count of consecutive failures their backoff grows with. At most one timer of each kind
 * is pending; {@link cancelAll} (on stop) leaves none.
 */
export class ConnectionSupervisor {
  readonly #clock: Clock;
  readonly #timers = new Map<SupervisorTimer, TimerHandle>();
  #failures = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Runs `fn` after `delayMs`, replacing a pending timer of the same kind. */
  schedule(which: SupervisorTimer, delayMs: number, fn: () => void): void {
    this.cancel(which);
    this.#timers.set(
      which,
      this.#clock.setTimeout(() => {
        this.#timers.delete(which);
        fn();
      }, delayMs),
    );
  }

  /** Cancels the pending timer of this kind, if any. */
  cancel(which: SupervisorTimer): void {
    const handle = this.#timers.get(which);
    if (handle === undefined) return;
    this.#clock.clearTimeout(handle);
    this.#timers.delete(which);
  }

  /** Cancels every pending timer. */
  cancelAll(): void {
    for (const which of [...this.#timers.keys()]) this.cancel(which);
  }

  /** The delay before the next attempt under `policy`; counts one more failure. */
  nextBackoff(policy: { initialDelayMs: number; maxDelayMs: number }): number {
    return backoffDelay(this.#failures++, policy);
  }

  /** A success: the next failure starts the backoff from its first delay again. */
  resetBackoff(): void {
    this.#failures = 0;
  }
}
