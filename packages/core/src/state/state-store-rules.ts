import { StateStoreError } from '../errors/state-store-error.js';
import {
  DEFAULT_UNHANDLED_RETENTION_MS,
  MAX_FAILURE_REASON_LENGTH,
  type PruneLedgerOptions,
  type WatermarkPosition,
} from './state-store.js';

// Rules every StateStore implementation shares, so SQLite and memory cannot drift. Internal.

/** Whether `next` is ahead of `current`: by seq when both have one, else by time. */
export function watermarkMoves(
  current: { time: number; seq: number | undefined } | undefined,
  next: WatermarkPosition,
): boolean {
  if (current === undefined) return true;
  if (current.seq !== undefined && next.seq !== undefined) return next.seq > current.seq;
  return next.time > current.time;
}

/** The `seenAt` cut-offs of a prune: entries first seen before them are removed. */
export function pruneCutoffs(
  now: number,
  options: PruneLedgerOptions,
): { handledBefore: number; unhandledBefore: number } {
  const unhandledAge = Math.max(
    options.olderThanMs,
    options.unhandledOlderThanMs ?? DEFAULT_UNHANDLED_RETENTION_MS,
  );
  return { handledBefore: now - options.olderThanMs, unhandledBefore: now - unhandledAge };
}

/**
 * A failure reason as stored: its first {@link MAX_FAILURE_REASON_LENGTH} characters (code
 * points, so a cut never splits a surrogate pair).
 */
export function failureReason(reason: string): string {
  return Array.from(String(reason)).slice(0, MAX_FAILURE_REASON_LENGTH).join('');
}

/** Whether a value is a promise (or promise-like). */
export function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** What `transaction` throws (after rolling back) when its function returned a promise. */
export function asyncTransactionError(): TypeError {
  return new TypeError(
    'The function given to StateStore.transaction returned a promise; it must be synchronous (every store call is), so await before the transaction, not inside it. Nothing it wrote was kept.',
  );
}

/** The error every call on a closed store throws. */
export function closedStoreError(file: string | undefined): StateStoreError {
  const where = file === undefined ? 'The in-memory state store' : `The state store ${file}`;
  return new StateStoreError(
    `${where} is closed; open a new store (or start the account runtime again) before using it.`,
    file === undefined ? {} : { file },
  );
}
