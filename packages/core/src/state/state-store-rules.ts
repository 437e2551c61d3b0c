import { StateStoreError } from '../errors/state-store-error.js';
import {
  DEFAULT_UNHANDLED_RETENTION_MS,
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

/** The error every call on a closed store throws. */
export function closedStoreError(file: string | undefined): StateStoreError {
  const where = file === undefined ? 'The in-memory state store' : `The state store ${file}`;
  return new StateStoreError(
    `${where} is closed; open a new store (or start the account runtime again) before using it.`,
    file === undefined ? {} : { file },
  );
}
