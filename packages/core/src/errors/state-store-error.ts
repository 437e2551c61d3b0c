import { ClawlinkError, type ClawlinkErrorOptions, markerFor } from './clawlink-error.js';

const MARKER = markerFor('StateStoreError');

/** The state file could not be opened, is corrupt, or belongs to something else. */
export class StateStoreError extends ClawlinkError {
  /** The file concerned, when there is one. */
  readonly file: string | undefined;
  /** @internal */
  readonly [MARKER] = true;

  constructor(message: string, options: ClawlinkErrorOptions & { file?: string } = {}) {
    super('STATE_STORE_ERROR', message, options);
    this.name = 'StateStoreError';
    this.file = options.file;
  }

  static override isInstance(error: unknown): error is StateStoreError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}
