import { ClawlinkError, type ClawlinkErrorOptions, markerFor } from './clawlink-error.js';

const MARKER = markerFor('StateStoreError');

/** Options of a {@link StateStoreError}. */
export interface StateStoreErrorOptions extends ClawlinkErrorOptions {
  /** The file concerned, when there is one. */
  file?: string;
  /** The store method that failed (e.g. `recordSeen`), when it failed while running. */
  operation?: string;
}

/**
 * The state file could not be opened, read or written, is damaged, or belongs to something
 * else (another program or another account). The message names the file and says what to do.
 */
export class StateStoreError extends ClawlinkError {
  /** The file concerned, when there is one. */
  readonly file: string | undefined;
  /** The store method that failed (e.g. `recordSeen`); `undefined` when opening failed. */
  readonly operation: string | undefined;
  /** @internal */
  readonly [MARKER] = true;

  /** Builds the error; `options.cause` keeps the underlying (e.g. SQLite) error. */
  constructor(message: string, options: StateStoreErrorOptions = {}) {
    super('STATE_STORE_ERROR', message, options);
    this.name = 'StateStoreError';
    this.file = options.file;
    this.operation = options.operation;
  }

  /** True for a `StateStoreError`, whichever copy of the package created it. */
  static override isInstance(error: unknown): error is StateStoreError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}
