const BASE_MARKER = Symbol.for('clawlink.error');

/**
 * Stable, machine-readable error codes. A code never changes meaning once released; the
 * human message may be reworded. Branch on `error.code`, not on the class: the class only adds
 * details (`TimError.timCode`, `CredentialError.reason`, `ConfigError.issues`,
 * `StateStoreError.file`). `STOPPED` and `KICKED` have no class of their own: the runtime
 * throws them as a plain `ClawlinkError`, the TIM layer as a `TimError`.
 */
export type ClawlinkErrorCode =
  /** (`ConfigError`) Account or option validation failed; fix every entry of `issues`. */
  | 'CONFIG_INVALID'
  /**
   * (`CredentialError`) No usable TIM credentials right now; `reason` says why and whether
   * waiting helps (`retryable`, `retryAfterMs`) or a person must act.
   */
  | 'CREDENTIALS_UNAVAILABLE'
  /** An argument to an operation was wrong (empty id, bad option, ...); fix the call. */
  | 'INVALID_ARGUMENT'
  /**
   * The runtime or client is stopped, or was stopped while the operation ran; `start()` it
   * again (nothing is retried on its own).
   */
  | 'STOPPED'
  /**
   * The TIM connection is not ready and could not be made ready. Retryable: the runtime
   * reconnects on its own; retry after `retryAfterMs` or when `status()` is `connected`.
   */
  | 'NOT_CONNECTED'
  /**
   * The session was taken over by another login of the same user, or an admin kick; with
   * `onKicked: 'stop'` call `resume()` once the other login is gone.
   */
  | 'KICKED'
  /** An operation did not finish in time. Retryable: try again. */
  | 'TIMEOUT'
  /** The channel (group) does not exist or was dismissed; check the id. */
  | 'CHANNEL_NOT_FOUND'
  /** The account is not allowed to do this (not a member, not the owner, ...): join or ask. */
  | 'PERMISSION_DENIED'
  /** A message, field or value is over a TIM size limit; send less or split it. */
  | 'TOO_LARGE'
  /**
   * TIM or the credential service asked us to slow down. Retryable: wait `retryAfterMs` when
   * set, else back off, then retry.
   */
  | 'RATE_LIMITED'
  /** Any other error TIM reported; `timCode` has TIM's own code and the message what to do. */
  | 'TIM_ERROR'
  /**
   * (`StateStoreError`) The state file is unreadable, corrupt, not a clawlink state file, or a
   * read/write failed; the message names the file and what to do (free disk space, move it).
   */
  | 'STATE_STORE_ERROR'
  /** Agent requests: the other agent refused the request; do not resend it unchanged. */
  | 'AGENT_REQUEST_REFUSED'
  /** Agent requests: the other agent did not answer before the deadline; retry or give up. */
  | 'AGENT_REQUEST_TIMEOUT'
  /** Agent requests: the other agent's dispatch failed; the message carries its reason. */
  | 'AGENT_REQUEST_FAILED'
  /**
   * The host's dispatch threw (or timed out) on every attempt for an inbound message; the
   * message is recorded as failed and not retried. Fix the dispatch; `cause` has its error.
   */
  | 'DISPATCH_FAILED'
  /** A bug in clawlink itself; please report it with the log line (it never holds secrets). */
  | 'INTERNAL';

/** Codes that are worth retrying unchanged unless the thrower says otherwise. */
const RETRYABLE_CODES: ReadonlySet<ClawlinkErrorCode> = new Set([
  'NOT_CONNECTED',
  'TIMEOUT',
  'RATE_LIMITED',
]);

/** Options common to every clawlink error. */
export interface ClawlinkErrorOptions {
  /** The underlying error, kept for debugging (never shown to end users verbatim). */
  cause?: unknown;
  /**
   * Whether retrying the same operation later can succeed without anyone changing anything.
   * Defaults to `true` for `NOT_CONNECTED`, `TIMEOUT` and `RATE_LIMITED`, else `false`.
   */
  retryable?: boolean;
  /** How long to wait before retrying, in milliseconds, when the thrower knows. */
  retryAfterMs?: number;
}

/**
 * Base of every error clawlink throws. `code` is stable; `message` says what went wrong
 * and what to do about it; `retryable` and `retryAfterMs` say whether and when to try again.
 *
 * Use {@link ClawlinkError.isInstance} rather than `instanceof`: it also recognises errors
 * thrown by another installed copy of `@clawlink/core`.
 */
export class ClawlinkError extends Error {
  /** What went wrong, machine-readable; see {@link ClawlinkErrorCode} for what to do. */
  readonly code: ClawlinkErrorCode;
  /** Whether retrying the same operation later can succeed without anyone changing anything. */
  readonly retryable: boolean;
  /** How long to wait before retrying, in milliseconds; `undefined` when not known. */
  readonly retryAfterMs: number | undefined;
  /** @internal */
  readonly [BASE_MARKER] = true;

  /** Builds the error; `options` add the cause and the retry advice. */
  constructor(code: ClawlinkErrorCode, message: string, options: ClawlinkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClawlinkError';
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_CODES.has(code);
    this.retryAfterMs = options.retryAfterMs;
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
