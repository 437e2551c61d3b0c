import { TIM_LIMITS } from '@clawlink/tim-facts';
import { type ConversationRef, conversationKey } from '../conversation/conversation-ref.js';
import { backoffDelay } from '../credentials/backoff.js';
import { ClawlinkError } from '../errors/clawlink-error.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';

/**
 * Default limit on messages per second for one account, all conversations together. Tencent's
 * usage limits page (Chat "Use Limits", tencentcloud.com/document/product/1047/34381, checked
 * 2026-12) sets no limit on one-to-one sends from a client SDK and 40 per second per group; it
 * documents no per-account send rate for clients (tim-js-sdk 2.27.6 throttles no send command
 * either). This is a conservative choice of ours that keeps one busy agent from flooding TIM;
 * raise it when needed.
 */
export const DEFAULT_ACCOUNT_MESSAGES_PER_SECOND = 20;

/** How a failed send is retried. */
export interface SendRetryOptions {
  /** Attempts in all, the first included; never unbounded. Default 5. */
  maxAttempts?: number;
  /** Base delay before the first retry, in milliseconds. Default 500. */
  initialDelayMs?: number;
  /** No wait between attempts is longer than this, in milliseconds. Default 10000. */
  maxDelayMs?: number;
  /** Source of randomness for the backoff's jitter; defaults to `Math.random`. */
  random?: () => number;
}

/** What {@link sendWithRetry} needs besides the operation. */
export interface SendWithRetryOptions extends SendRetryOptions {
  clock: Clock;
  /** Stops the waiting between attempts: the call then rejects with `STOPPED`. */
  signal?: AbortSignal;
  logger?: Logger;
  /** What is being sent, for log lines (e.g. `send` or `modify`). */
  operation?: string;
}

const DEFAULT_SEND_ATTEMPTS = 5;
const DEFAULT_SEND_INITIAL_DELAY_MS = 500;
const DEFAULT_SEND_MAX_DELAY_MS = 10_000;

/** Node's error codes for a network that failed on the way, worth another try. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);
/** Codes worth retrying when an error does not say itself (`retryable`). */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(['RATE_LIMITED', 'NOT_CONNECTED', 'TIMEOUT']);

/**
 * Whether a failed send may succeed if tried again unchanged: the error's own `retryable` when
 * it has one (every `ClawlinkError` does), else `RATE_LIMITED`, `NOT_CONNECTED`, `TIMEOUT` and
 * network failures (`ECONNRESET`, ...). `TOO_LARGE`, `PERMISSION_DENIED` (muted included: TIM
 * 10017 and 20012), `CHANNEL_NOT_FOUND` and anything unknown are permanent.
 */
export function isTransientSendError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { retryable, code } = error as { retryable?: unknown; code?: unknown };
  if (typeof retryable === 'boolean') return retryable;
  if (typeof code !== 'string') return false;
  return ClawlinkError.isInstance(error)
    ? TRANSIENT_CODES.has(code)
    : NETWORK_ERROR_CODES.has(code);
}

/**
 * Runs `operation` until it succeeds, a failure is permanent ({@link isTransientSendError}), or
 * `maxAttempts` attempts were made; then rejects with the last error, unchanged. Between
 * attempts it waits the error's `retryAfterMs` when it has one, else capped exponential backoff;
 * no wait is longer than `maxDelayMs`. Retries are logged at `info` with the error's code and
 * message (never its stack).
 */
export async function sendWithRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: SendWithRetryOptions,
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_SEND_ATTEMPTS;
  const backoff = {
    initialDelayMs: options.initialDelayMs ?? DEFAULT_SEND_INITIAL_DELAY_MS,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_SEND_MAX_DELAY_MS,
    ...(options.random ? { random: options.random } : {}),
  };
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${String(maxAttempts)}`);
  }
  for (let attempt = 1; ; attempt++) {
    throwIfStopped(options.signal);
    try {
      return await operation(attempt);
    } catch (error) {
      if (options.signal?.aborted || attempt >= maxAttempts || !isTransientSendError(error)) {
        throw error;
      }
      const delayMs = retryDelay(error, attempt, backoff);
      (options.logger ?? silentLogger).info(
        {
          operation: options.operation ?? 'send',
          attempt,
          maxAttempts,
          delayMs,
          ...errorSummary(error),
        },
        'send failed; retrying',
      );
      await wait(options.clock, delayMs, options.signal);
    }
  }
}

/** Options of {@link createOutboundQueue}. */
export interface OutboundQueueOptions<Part, Result> {
  /** Sends one part to TIM (e.g. `sendMessage` with its mentions and cloud custom data). */
  send: (conversation: ConversationRef, part: Part) => Promise<Result>;
  clock: Clock;
  /** Messages per second per group (a sliding one-second window). Default 40, TIM's limit. */
  groupMessagesPerSecond?: number;
  /**
   * Messages per second for the account, all conversations together. Default
   * {@link DEFAULT_ACCOUNT_MESSAGES_PER_SECOND}.
   */
  accountMessagesPerSecond?: number;
  /** How transient failures are retried; every attempt counts against the rate limits. */
  retry?: SendRetryOptions;
  logger?: Logger;
}

/**
 * Sends replies to TIM: the parts of one reply in order, the replies of one conversation in the
 * order they were given, conversations side by side within the rate limits.
 */
export interface OutboundQueue<Part, Result> {
  /**
   * Queues the parts of one reply. Resolves with each part's result once all were sent. A part
   * that fails permanently, or still fails after the last attempt, rejects the promise with its
   * error (a typed `ClawlinkError` such as `TOO_LARGE` or `PERMISSION_DENIED`); the parts after it
   * are not sent (the ones before it were), and the conversation moves on to its next reply.
   * After {@link OutboundQueue.stop}, rejects with `STOPPED`.
   */
  send(conversation: ConversationRef, parts: readonly Part[]): Promise<Result[]>;
  /**
   * Stops: replies not yet sent reject with `STOPPED` (waits between attempts are cut short); a
   * part already handed to TIM is awaited. Resolves when nothing is in flight. Idempotent.
   */
  stop(): Promise<void>;
}

interface Job<Part, Result> {
  conversation: ConversationRef;
  parts: readonly Part[];
  resolve: (results: Result[]) => void;
  reject: (error: unknown) => void;
}

/** A sliding window of the times of the last `limit` sends. */
class SendWindow {
  readonly #limit: number;
  readonly #stamps: number[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Milliseconds until one more send fits at `now` (0: it fits now). */
  waitMs(now: number): number {
    while (this.#stamps.length > 0 && (this.#stamps[0] as number) <= now - 1000)
      this.#stamps.shift();
    return this.#stamps.length < this.#limit ? 0 : (this.#stamps[0] as number) + 1000 - now;
  }

  take(now: number): void {
    this.#stamps.push(now);
  }
}

interface Waiter {
  group: SendWindow | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Hands out send slots in request order within the account's and each group's window. */
class RateLimiter {
  readonly #clock: Clock;
  readonly #account: SendWindow;
  readonly #groupLimit: number;
  readonly #groups = new Map<string, SendWindow>();
  readonly #waiters: Waiter[] = [];
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, accountLimit: number, groupLimit: number) {
    this.#clock = clock;
    this.#account = new SendWindow(accountLimit);
    this.#groupLimit = groupLimit;
  }

  /** Resolves when `conversation` may send one message. */
  acquire(conversation: ConversationRef): Promise<void> {
    let group: SendWindow | undefined;
    if (conversation.type === 'group') {
      group = this.#groups.get(conversation.id);
      if (!group) {
        group = new SendWindow(this.#groupLimit);
        this.#groups.set(conversation.id, group);
      }
    }
    const slot = new Promise<void>((resolve, reject) => {
      this.#waiters.push({ group, resolve, reject });
    });
    this.#grant();
    return slot;
  }

  /** Rejects every waiter with `error`. */
  close(error: unknown): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  #grant(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = this.#clock.now();
    let nextMs = Number.POSITIVE_INFINITY;
    for (let index = 0; index < this.#waiters.length; ) {
      const waiter = this.#waiters[index] as Waiter;
      const accountMs = this.#account.waitMs(now);
      if (accountMs > 0) {
        // The account's window is full: first come, first served.
        nextMs = Math.min(nextMs, accountMs);
        break;
      }
      const groupMs = waiter.group?.waitMs(now) ?? 0;
      if (groupMs > 0) {
        // Only this group is full: others may go ahead.
        nextMs = Math.min(nextMs, groupMs);
        index++;
        continue;
      }
      this.#account.take(now);
      waiter.group?.take(now);
      this.#waiters.splice(index, 1);
      waiter.resolve();
    }
    if (this.#waiters.length > 0 && Number.isFinite(nextMs)) {
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.#grant();
      }, nextMs);
    }
  }
}

/**
 * Creates an {@link OutboundQueue}. Each conversation sends one part at a time (so order holds
 * even when TIM is slow); every attempt of every part takes a slot in the account's window and,
 * for groups, in the group's window (TIM: at most 40 messages per second per group). One-to-one
 * chats have no per-conversation limit (TIM sets none for clients).
 *
 * @throws RangeError when a rate is not a positive integer.
 */
export function createOutboundQueue<Part, Result>(
  options: OutboundQueueOptions<Part, Result>,
): OutboundQueue<Part, Result> {
  const groupLimit = positiveInteger(
    'groupMessagesPerSecond',
    options.groupMessagesPerSecond ?? TIM_LIMITS.groupMessagesPerSecond,
  );
  const accountLimit = positiveInteger(
    'accountMessagesPerSecond',
    options.accountMessagesPerSecond ?? DEFAULT_ACCOUNT_MESSAGES_PER_SECOND,
  );
  const logger = options.logger ?? silentLogger;
  const limiter = new RateLimiter(options.clock, accountLimit, groupLimit);
  const stopping = new AbortController();
  const lanes = new Map<string, Job<Part, Result>[]>();
  const running = new Set<Promise<void>>();

  const sendPart = (conversation: ConversationRef, part: Part): Promise<Result> =>
    sendWithRetry(
      async () => {
        await limiter.acquire(conversation);
        return options.send(conversation, part);
      },
      {
        ...options.retry,
        clock: options.clock,
        signal: stopping.signal,
        logger: logger.child({ conversation: conversationKey(conversation) }),
      },
    );

  const drain = async (key: string, jobs: Job<Part, Result>[]): Promise<void> => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const results: Result[] = [];
      try {
        for (const part of job.parts) {
          throwIfStopped(stopping.signal);
          results.push(await sendPart(job.conversation, part));
        }
        job.resolve(results);
      } catch (error) {
        job.reject(error);
      }
    }
    lanes.delete(key);
  };

  return {
    send(conversation, parts) {
      if (stopping.signal.aborted) return Promise.reject(stoppedError());
      const key = conversationKey(conversation);
      return new Promise<Result[]>((resolve, reject) => {
        const job = { conversation, parts: [...parts], resolve, reject };
        const lane = lanes.get(key);
        if (lane) {
          lane.push(job);
          return;
        }
        const jobs = [job];
        lanes.set(key, jobs);
        const run = drain(key, jobs).finally(() => running.delete(run));
        running.add(run);
      });
    },
    async stop() {
      if (!stopping.signal.aborted) {
        stopping.abort(stoppedError());
        limiter.close(stoppedError());
        for (const jobs of lanes.values()) {
          // The job in flight was already taken off its lane; the ones behind it are dropped.
          for (const job of jobs.splice(0)) job.reject(stoppedError());
        }
      }
      await Promise.allSettled([...running]);
    },
  };
}

function retryDelay(
  error: unknown,
  attempt: number,
  backoff: { initialDelayMs: number; maxDelayMs: number; random?: () => number },
): number {
  const { retryAfterMs } = error as { retryAfterMs?: unknown };
  if (typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.min(Math.round(retryAfterMs), backoff.maxDelayMs);
  }
  return backoffDelay(attempt - 1, backoff);
}

/** An error's code and message for a log line: never its stack. */
function errorSummary(error: unknown): { code?: string; error: string } {
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    message?: unknown;
  };
  return {
    ...(typeof code === 'string' ? { code } : {}),
    error: typeof message === 'string' ? message : String(error),
  };
}

/** Waits `ms` on `clock`; rejects with `STOPPED` as soon as `signal` aborts. */
function wait(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(stoppedError());
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(stoppedError());
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function throwIfStopped(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw stoppedError();
}

function stoppedError(): ClawlinkError {
  return new ClawlinkError(
    'STOPPED',
    'The reply was not sent: the outbound queue was stopped (parts sent before that stay sent); start the runtime again to send replies.',
  );
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
