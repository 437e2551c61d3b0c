import { type BackoffOptions, backoffDelay } from '../credentials/backoff.js';
import { ClawlinkError } from '../errors/clawlink-error.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';

/** Default base delay before retrying a failed dispatch, in milliseconds. */
export const DEFAULT_DISPATCH_RETRY_INITIAL_DELAY_MS = 1_000;
/** Default cap on the delay before retrying a failed dispatch, in milliseconds. */
export const DEFAULT_DISPATCH_RETRY_MAX_DELAY_MS = 30_000;

/** Options of {@link createDispatchRunner}. */
export interface DispatchRunnerOptions {
  clock: Clock;
  /** An attempt running longer is aborted (its signal fires with `TIMEOUT`) and counts as failed. */
  timeoutMs: number;
  /** Attempts in all, the first included (1 = no retry). */
  maxAttempts: number;
  /** The delays between attempts (capped exponential backoff); defaults 1 s growing to 30 s. */
  backoff?: BackoffOptions;
  logger?: Logger;
}

/** One attempt of a dispatch: the host's work, given a signal to honour. */
export type DispatchWork<T> = (signal: AbortSignal, attempt: number) => T | Promise<T>;

/** Options of one {@link DispatchRunner.run}. */
export interface DispatchRunOptions {
  /** Aborts the run (e.g. the conversation queue's stop): the outcome is then `stopped`. */
  signal?: AbortSignal;
  /** Added to every log line of this run (e.g. the conversation key and message ids). */
  context?: Record<string, unknown>;
}

/** How a dispatch ended. */
export type DispatchOutcome<T> =
  /** An attempt finished; `value` is what it returned. */
  | { readonly status: 'done'; readonly value: T; readonly attempts: number }
  /**
   * Every attempt threw or timed out: mark the batch failed and move on. `reason` says how the
   * last attempt ended, `message` is a one-line summary (safe to log and store), `cause` is what
   * the host threw (or the `TIMEOUT` error).
   */
  | {
      readonly status: 'failed';
      readonly reason: 'threw' | 'timeout';
      readonly message: string;
      readonly cause: unknown;
      readonly attempts: number;
    }
  /**
   * Stopped before an attempt finished: neither handled nor failed (catch-up answers it after
   * the next start).
   */
  | { readonly status: 'stopped'; readonly attempts: number };

/** Runs dispatches with a timeout, retries and a stop. */
export interface DispatchRunner {
  /**
   * Runs `work` until an attempt returns, or `maxAttempts` attempts threw or timed out, or the
   * run is stopped. Never rejects. Each attempt gets its own signal, aborted when that attempt
   * times out (reason: a `TIMEOUT` error) or the run is stopped (reason: a `STOPPED` error): a
   * reply the host tries to send after its signal fired must be refused by the caller, so a
   * timed-out attempt that carries on cannot answer twice.
   */
  run<T>(work: DispatchWork<T>, options?: DispatchRunOptions): Promise<DispatchOutcome<T>>;
  /** Aborts every run: their outcomes are `stopped`. Later runs are stopped at once. */
  stop(): void;
}

/**
 * Creates a {@link DispatchRunner}. A failed attempt is logged at `warn` with a one-line summary
 * of what was thrown; the host's stack is logged at `debug`, never higher.
 *
 * @throws RangeError when `timeoutMs` or `maxAttempts` is not a positive integer.
 */
export function createDispatchRunner(options: DispatchRunnerOptions): DispatchRunner {
  const { clock } = options;
  positiveInteger('timeoutMs', options.timeoutMs);
  positiveInteger('maxAttempts', options.maxAttempts);
  const backoff: BackoffOptions = {
    initialDelayMs: DEFAULT_DISPATCH_RETRY_INITIAL_DELAY_MS,
    maxDelayMs: DEFAULT_DISPATCH_RETRY_MAX_DELAY_MS,
    ...options.backoff,
  };
  const logger = options.logger ?? silentLogger;
  const stopping = new AbortController();

  /** Resolves with how one attempt ended; settles at the latest when `signal` aborts. */
  const attempt = <T>(
    work: DispatchWork<T>,
    number: number,
    stopSignals: readonly AbortSignal[],
  ): Promise<{ value: T } | { error: unknown; timedOut: boolean } | 'stopped'> => {
    const controller = new AbortController();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: { value: T } | { error: unknown; timedOut: boolean } | 'stopped') => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        unwatch();
        resolve(result);
      };
      const onStop = () => {
        controller.abort(stoppedError());
        finish('stopped');
      };
      const timer: TimerHandle = clock.setTimeout(() => {
        const error = new ClawlinkError(
          'TIMEOUT',
          `The dispatch did not finish within ${options.timeoutMs} ms; it was aborted (raise dispatch.timeoutMs if the agent needs longer).`,
        );
        controller.abort(error);
        finish({ error, timedOut: true });
      }, options.timeoutMs);
      const unwatch = onAbort(stopSignals, onStop);
      Promise.resolve()
        .then(() => work(controller.signal, number))
        .then(
          (value) => finish({ value }),
          (error: unknown) => finish({ error, timedOut: false }),
        );
    });
  };

  const delay = (ms: number, stopSignals: readonly AbortSignal[]): Promise<boolean> =>
    new Promise((resolve) => {
      if (stopSignals.some((signal) => signal.aborted)) {
        resolve(false);
        return;
      }
      const unwatch = onAbort(stopSignals, () => {
        clock.clearTimeout(timer);
        resolve(false);
      });
      const timer = clock.setTimeout(() => {
        unwatch();
        resolve(true);
      }, ms);
    });

  return {
    async run<T>(work: DispatchWork<T>, runOptions: DispatchRunOptions = {}) {
      // Watched side by side rather than through AbortSignal.any, which costs more per run.
      const signals = runOptions.signal ? [stopping.signal, runOptions.signal] : [stopping.signal];
      const log = runOptions.context ? logger.child(runOptions.context) : logger;
      for (let number = 1; ; number++) {
        if (signals.some((signal) => signal.aborted)) {
          return { status: 'stopped', attempts: number - 1 };
        }
        const result = await attempt(work, number, signals);
        if (result === 'stopped') return { status: 'stopped', attempts: number };
        if ('value' in result) return { status: 'done', value: result.value, attempts: number };
        const message = summary(result.error);
        const reason = result.timedOut ? 'timeout' : 'threw';
        const last = number >= options.maxAttempts;
        const delayMs = last ? undefined : backoffDelay(number - 1, backoff);
        log.warn(
          {
            attempt: number,
            maxAttempts: options.maxAttempts,
            reason,
            error: message,
            ...(delayMs === undefined ? {} : { retryInMs: delayMs }),
          },
          last ? 'dispatch failed; giving up' : 'dispatch failed; retrying',
        );
        log.debug({ attempt: number, stack: stackOf(result.error) }, 'dispatch failure detail');
        if (delayMs === undefined) {
          return { status: 'failed', reason, message, cause: result.error, attempts: number };
        }
        if (!(await delay(delayMs, signals))) return { status: 'stopped', attempts: number };
      }
    },
    stop() {
      if (!stopping.signal.aborted) stopping.abort(stoppedError());
    },
  };
}

/**
 * Calls `listener` once, when the first of `signals` aborts (never at once: the caller checks
 * `aborted` first); returns what stops watching.
 */
function onAbort(signals: readonly AbortSignal[], listener: () => void): () => void {
  let fired = false;
  const once = () => {
    if (fired) return;
    fired = true;
    unwatch();
    listener();
  };
  const unwatch = () => {
    for (const signal of signals) signal.removeEventListener('abort', once);
  };
  for (const signal of signals) signal.addEventListener('abort', once);
  return unwatch;
}

/** `Name: message` of what the host threw, on one line and at most 500 characters. */
function summary(thrown: unknown): string {
  const { name, message } = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as {
    name?: unknown;
    message?: unknown;
  };
  const text =
    typeof message === 'string'
      ? `${typeof name === 'string' ? `${name}: ` : ''}${message}`
      : String(thrown);
  return text.replace(/\s+/g, ' ').slice(0, 500);
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined;
}

function stoppedError(): ClawlinkError {
  return new ClawlinkError('STOPPED', 'The dispatch was stopped: the runtime is stopping.');
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
}
