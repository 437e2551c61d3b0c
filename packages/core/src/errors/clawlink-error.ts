const BASE_MARKER = Symbol.for('clawlink.error');

/**
 * Stable, machine-readable error codes. A code never changes meaning once released; the
 * human message may be reworded.
 */
export type ClawlinkErrorCode =
  /** Account or option validation failed; `issues` lists every problem. */
  | 'CONFIG_INVALID'
  /** No usable TIM credentials right now; see `CredentialError.reason`. */
  | 'CREDENTIALS_UNAVAILABLE'
  /** An argument to an operation was wrong (empty id, text too long, ...). */
  | 'INVALID_ARGUMENT'
  /** The runtime is stopped, or was stopped while the operation ran. */
  | 'STOPPED'
  /** The TIM connection is not ready and could not be made ready. */
  | 'NOT_CONNECTED'
  /** The session was taken over by another login of the same user, or an admin kick. */
  | 'KICKED'
  /** An operation did not finish in time. */
  | 'TIMEOUT'
  /** The channel (group) does not exist or was dismissed. */
  | 'CHANNEL_NOT_FOUND'
  /** The account is not allowed to do this (not a member, not the owner, ...). */
  | 'PERMISSION_DENIED'
  /** A message, field or value is over a TIM size limit. */
  | 'TOO_LARGE'
  /** TIM or the credential service asked us to slow down. */
  | 'RATE_LIMITED'
  /** Any other error TIM reported; `timCode` has TIM's own code. */
  | 'TIM_ERROR'
  /** The state file is unreadable, corrupt, or not a clawlink state file. */
  | 'STATE_STORE_ERROR';

/** Options common to every clawlink error. */
export interface ClawlinkErrorOptions {
  /** The underlying error, kept for debugging (never shown to end users verbatim). */
  cause?: unknown;
}

/**
 * Base of every error clawlink throws. `code` is stable; `message` says what went wrong
 * and what to do about it.
 *
 * Use {@link ClawlinkError.isInstance} rather than `instanceof`: it also recognises errors
 * thrown by another installed copy of `@clawlink/core`.
 */
export class ClawlinkError extends Error {
  readonly code: ClawlinkErrorCode;
  /** @internal */
  readonly [BASE_MARKER] = true;

  constructor(code: ClawlinkErrorCode, message: string, options: ClawlinkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClawlinkError';
    this.code = code;
  }

  /** True for any clawlink error, whichever copy of the package created it. */
  static isInstance(error: unknown): error is ClawlinkError {
    return typeof error === 'object' && error !== null && BASE_MARKER in error;
  }
}

/**
 * Builds the `isInstance` check for a subclass: a `Symbol.for` marker keyed by the class
 * name, so duplicated package copies still recognise each other's errors.
 */
export function markerFor(name: string): symbol {
  return Symbol.for(`clawlink.error.${name}`);
}
