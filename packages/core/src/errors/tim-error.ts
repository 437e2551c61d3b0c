import {
  ClawlinkError,
  type ClawlinkErrorCode,
  type ClawlinkErrorOptions,
  markerFor,
} from './clawlink-error.js';

const MARKER = markerFor('TimError');

/** Options for {@link TimError}. */
export interface TimErrorOptions extends ClawlinkErrorOptions {
  /** TIM's numeric error code, when TIM reported one. */
  timCode?: number;
  /** The operation that failed, e.g. `joinChannel`. */
  operation?: string;
}

/** An operation against TIM failed. `code` is clawlink's; `timCode` is TIM's own. */
export class TimError extends ClawlinkError {
  readonly timCode: number | undefined;
  readonly operation: string | undefined;
  /** @internal */
  readonly [MARKER] = true;

  /** Builds the error; `options` add TIM's code, the operation and the retry advice. */
  constructor(code: ClawlinkErrorCode, message: string, options: TimErrorOptions = {}) {
    super(code, message, options);
    this.name = 'TimError';
    this.timCode = options.timCode;
    this.operation = options.operation;
  }

  /** True for a `TimError`, whichever copy of the package created it. */
  static override isInstance(error: unknown): error is TimError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}
