import { ClawlinkError, type Reply } from '@clawlink/core';

/** What {@link firstAnswer} resolves with. */
export interface ListenerOutcome {
  /** The first registered listener's answer; undefined when none answered. */
  readonly answer: Reply;
  /** What the listeners threw or rejected with, in registration order (empty when none failed). */
  readonly failures: readonly unknown[];
}

/**
 * Calls every listener in registration order with `event` (each is called, as `emit` would,
 * before any is awaited), waits until all have settled, and picks the answer of the first
 * registered listener that gave one: a non-empty string or an async iterable. Later answers are
 * dropped (an iterable that is dropped is never iterated). A listener that throws, rejects or
 * answers with anything else (a number, an object) is listed in `failures`.
 */
export async function firstAnswer<E>(
  listeners: readonly ((event: E) => unknown)[],
  event: E,
  thisArg: unknown,
): Promise<ListenerOutcome> {
  const settled = await Promise.allSettled(
    listeners.map(async (listener) => checkAnswer(await listener.call(thisArg, event))),
  );
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
  const answer = settled.find(
    (s): s is PromiseFulfilledResult<Exclude<Reply, void>> =>
      s.status === 'fulfilled' && s.value !== undefined,
  )?.value;
  return { answer, failures };
}

function checkAnswer(value: unknown): Exclude<Reply, void> | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && Symbol.asyncIterator in value) {
    return value as AsyncIterable<string>;
  }
  throw new ClawlinkError(
    'INVALID_ARGUMENT',
    `A listener answered with ${describe(value)}; return a string, an async iterable of strings, a promise of either, or nothing (and call event.reply).`,
  );
}

function describe(value: unknown): string {
  if (typeof value !== 'object') return `a ${typeof value}`;
  return Array.isArray(value) ? 'an array' : 'an object that is not an async iterable';
}
