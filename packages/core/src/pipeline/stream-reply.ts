import { TIM_LIMITS } from '@clawlink/tim-facts';
import { type Logger, silentLogger } from '../logging/logger.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import { utf8Bytes } from '../tim/tim-limits.js';
import { type ChunkTextOptions, chunkText, DEFAULT_CHUNK_RESERVE_BYTES } from './chunk-text.js';
import { type SendRetryOptions, sendWithRetry } from './outbound-queue.js';

/** Default time between two modifications of a streamed message, in milliseconds. */
export const DEFAULT_STREAM_INTERVAL_MS = 500;

/**
 * Where a message of a streamed reply stands, so the editor can mark it (clawlink's reply
 * marker: a reply cut by a crash must not read as a full answer):
 * - `growing`: more text may come; the stream has not ended yet (or was cut: aborted or failed);
 * - `finished`: full, the reply goes on in a next message;
 * - `last`: the reply's last message in its final version: the stream ended normally.
 */
export interface StreamPart {
  /** The message's place in the reply, from 0. */
  readonly index: number;
  readonly state: 'growing' | 'finished' | 'last';
}

/**
 * What a streamed reply needs from TIM: send a message and modify it in place (TIM's message
 * modification, which pushes the new version to other online clients). Neither should retry by
 * itself: failures are retried here, through the same classification as the outbound queue.
 */
export interface StreamEditor<Handle> {
  /**
   * Sends a new message with `text`; resolves with what {@link StreamEditor.modify} needs.
   * `first` is true for the reply's first message (the one that carries the prefix: attach the
   * mention there).
   */
  send(text: string, first: boolean, part: StreamPart): Promise<Handle>;
  /**
   * Replaces the text of a message sent by {@link StreamEditor.send} (or only its `part`: the
   * last message is modified once more when the stream ends, to mark it `last`). When it
   * resolves with a handle (TIM's modified message, with its new version), later modifications
   * use that one.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: `void` lets a modify that returns nothing (`async () => {}`) be used.
  modify(handle: Handle, text: string, part: StreamPart): Promise<Handle | void>;
}

/** Options of {@link streamReply}. */
export interface StreamReplyOptions<Handle> {
  editor: StreamEditor<Handle>;
  clock: Clock;
  /** Least time between two modifications of one message, in ms. Default 500. */
  intervalMs?: number;
  /** Put before the text of the first message only (the sender's @mention in a group). */
  prefix?: string;
  /** TIM's limit for one message, in UTF-8 bytes. Default 12 KB. */
  maxBytes?: number;
  /** Bytes kept free in every message for its cloud custom data. Default 1024. */
  reserveBytes?: number;
  /** How failed sends and modifications are retried. */
  retry?: SendRetryOptions;
  /** Stops reading the stream; what was received is still finalised. */
  signal?: AbortSignal;
  logger?: Logger;
}

/** One message of a streamed reply, as it finally reads. */
export interface StreamedMessage<Handle> {
  readonly handle: Handle;
  readonly text: string;
}

/** How a streamed reply ended. */
export interface StreamReplyResult<Handle> {
  /**
   * The messages, in order, with their final texts. Joined, minus the prefix of the first and
   * the code-fence markers added where a message was cut, they are exactly `text`. Empty when
   * the stream yielded no non-blank text (nothing was sent).
   */
  readonly messages: readonly StreamedMessage<Handle>[];
  /** Everything the stream yielded before it ended or was aborted. */
  readonly text: string;
  /** Whether the signal stopped the reading before the stream ended. */
  readonly aborted: boolean;
}

interface CurrentMessage<Handle> {
  /** Where its body starts in the full text. */
  start: number;
  /** The code fence line it continues inside ("```ts"), if it began inside one. */
  fence: string | undefined;
  prefix: string;
  handle: Handle | undefined;
  /** The text TIM shows for it now. */
  shown: string | undefined;
  /** Whether TIM has it as the reply's last message, final. */
  markedLast: boolean;
  lastUpdateAt: number;
}

/** Spare bytes below which the cheap size check hands over to the chunker. */
const SPLIT_CHECK_SLACK_BYTES = 64;

/**
 * Shows a reply given as an `AsyncIterable<string>` as one message that grows in place: the
 * first non-blank text is sent at once, then the message is modified at most every
 * `intervalMs`, and once more at the end (at once) with exactly what was received. Near TIM's
 * limit the message is finished (cut as {@link chunkText} cuts: paragraph, line, word, code
 * point; an open code fence closed and reopened) and the reply continues in a new message. The
 * prefix is on the first message only.
 *
 * Every send and modification tells the editor where the message stands ({@link StreamPart}):
 * only when the stream ends normally is its last message marked `last` (modified once more for
 * that if its text did not change), so a reply cut short never reads as finished.
 *
 * When `signal` aborts, reading stops and what was received is finalised. A send or
 * modification failing transiently is retried (bounded); a permanent failure, or one still
 * failing after the last attempt, stops the reading and rejects with that typed error. If the
 * stream itself throws, what was received is finalised and the stream's error is rethrown.
 */
export async function streamReply<Handle>(
  stream: AsyncIterable<string>,
  options: StreamReplyOptions<Handle>,
): Promise<StreamReplyResult<Handle>> {
  const { clock, editor } = options;
  const intervalMs = options.intervalMs ?? DEFAULT_STREAM_INTERVAL_MS;
  if (!Number.isFinite(intervalMs) || intervalMs < 0) {
    throw new RangeError(`intervalMs must be a non-negative number, got ${String(intervalMs)}`);
  }
  const maxBytes = options.maxBytes ?? TIM_LIMITS.messageBytes;
  const reserveBytes = options.reserveBytes ?? DEFAULT_CHUNK_RESERVE_BYTES;
  const logger = options.logger ?? silentLogger;
  const retry = { ...options.retry, clock, logger };
  const stopReading = new AbortController();
  const onAbort = () => stopReading.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stopReading.abort();

  let full = '';
  let ended = false;
  /** The stream ended by itself (not aborted, no error): its last message may be marked so. */
  let complete = false;
  let aborted = false;
  const finished: StreamedMessage<Handle>[] = [];
  let current: CurrentMessage<Handle> = {
    start: 0,
    fence: undefined,
    prefix: options.prefix ?? '',
    handle: undefined,
    shown: undefined,
    markedLast: false,
    lastUpdateAt: 0,
  };

  // The writer sleeps until the reader has news or a modification falls due.
  let wakeUp: (() => void) | undefined;
  const wake = () => {
    const resolve = wakeUp;
    wakeUp = undefined;
    resolve?.();
  };
  const sleep = (ms: number | undefined) =>
    new Promise<void>((resolve) => {
      let timer: TimerHandle | undefined;
      wakeUp = () => {
        if (timer !== undefined) clock.clearTimeout(timer);
        resolve();
      };
      if (ms !== undefined) {
        timer = clock.setTimeout(() => {
          wakeUp = undefined;
          resolve();
        }, ms);
      }
    });

  const textOf = (message: CurrentMessage<Handle>) =>
    `${message.prefix}${message.fence === undefined ? '' : `${message.fence}\n`}${full.slice(message.start)}`;

  const modify = async (handle: Handle, text: string, part: StreamPart): Promise<Handle> => {
    const updated = await sendWithRetry(() => editor.modify(handle, text, part), {
      ...retry,
      operation: 'modify',
    });
    return updated === undefined ? handle : updated;
  };
  /** Sends the current message: the reply's first one while none is finished. */
  const sendNew = (text: string, state: StreamPart['state']): Promise<Handle> => {
    const part = { index: finished.length, state };
    return sendWithRetry(() => editor.send(text, finished.length === 0, part), {
      ...retry,
      operation: 'send',
    });
  };
  /** Where the current message stands once its text is what was received. */
  const currentState = (): StreamPart['state'] => (complete ? 'last' : 'growing');

  /** Finishes the current message while its text is over the limit, continuing in a new one. */
  const splitOverflow = async () => {
    for (;;) {
      const budget = maxBytes - reserveBytes - SPLIT_CHECK_SLACK_BYTES;
      if (utf8Bytes(textOf(current)) <= budget) return;
      const chunkOptions: ChunkTextOptions = {
        maxBytes,
        reserveBytes,
        prefixBytes: utf8Bytes(current.prefix),
        ...(current.fence === undefined ? {} : { openFence: current.fence }),
      };
      const [first, next] = chunkText(full.slice(current.start), chunkOptions);
      if (!first || !next) return;
      const text = current.prefix + first.text;
      let handle = current.handle;
      const part = { index: finished.length, state: 'finished' } as const;
      if (handle === undefined) handle = await sendNew(text, 'finished');
      else handle = await modify(handle, text, part);
      finished.push({ handle, text });
      current = {
        start: current.start + first.body.length,
        fence: next.reopened === '' ? undefined : next.reopened.slice(0, -1),
        prefix: '',
        handle: undefined,
        shown: undefined,
        markedLast: false,
        lastUpdateAt: clock.now(),
      };
    }
  };

  const write = async () => {
    for (;;) {
      await splitOverflow();
      const text = textOf(current);
      if (current.handle === undefined) {
        if (full.slice(current.start).trim() !== '') {
          const state = currentState();
          current.handle = await sendNew(text, state);
          current.shown = text;
          current.markedLast = state === 'last';
          current.lastUpdateAt = clock.now();
          continue;
        }
      } else if (text !== current.shown || (complete && !current.markedLast)) {
        const waitMs = current.lastUpdateAt + intervalMs - clock.now();
        if (ended || waitMs <= 0) {
          const state = currentState();
          current.handle = await modify(current.handle, text, { index: finished.length, state });
          current.shown = text;
          current.markedLast = state === 'last';
          current.lastUpdateAt = clock.now();
          continue;
        }
        await sleep(waitMs);
        continue;
      }
      if (ended) return;
      await sleep(undefined);
    }
  };

  const read = async (): Promise<{ error: unknown } | undefined> => {
    const iterator = stream[Symbol.asyncIterator]();
    const stopped = new Promise<'stopped'>((resolve) => {
      if (stopReading.signal.aborted) resolve('stopped');
      stopReading.signal.addEventListener('abort', () => resolve('stopped'), { once: true });
    });
    try {
      for (;;) {
        const next = await Promise.race([iterator.next(), stopped]);
        if (next === 'stopped') {
          aborted = options.signal?.aborted ?? false;
          // Not awaited: a generator stuck in an await would hold the reply up.
          iterator.return?.()?.catch(() => undefined);
          return undefined;
        }
        if (next.done) {
          complete = true;
          return undefined;
        }
        if (typeof next.value !== 'string') {
          throw new TypeError(
            `A streamed reply must yield strings; it yielded ${typeof next.value}.`,
          );
        }
        full += next.value;
        wake();
      }
    } catch (error) {
      return { error };
    } finally {
      ended = true;
      wake();
    }
  };

  const reading = read();
  try {
    await write();
  } catch (error) {
    stopReading.abort();
    await reading;
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  const failure = await reading;
  if (failure) throw failure.error;
  const messages =
    current.handle === undefined
      ? finished
      : [...finished, { handle: current.handle, text: current.shown ?? textOf(current) }];
  return { messages, text: full, aborted };
}
