import { ClawlinkError, type ClawlinkErrorOptions, markerFor } from './clawlink-error.js';

const MARKER = markerFor('CredentialError');

/**
 * Why credentials are not available:
 * - `unclaimed`: the agent is registered but its owner has not claimed it yet.
 * - `cooldown`: too many attempts; wait `retryAfterMs`.
 * - `revoked`: the agent's key or the UserSig was revoked; a person must act.
 * - `invalid`: the configuration (agentId, apiKey, secret key, UserSig) is wrong.
 * - `unreachable`: the credential service could not be reached; retried with backoff.
 */
export type CredentialErrorReason =
  | 'unclaimed'
  | 'cooldown'
  | 'revoked'
  | 'invalid'
  | 'unreachable';

/** Options for {@link CredentialError}; `retryable` follows from the reason. */
export type CredentialErrorOptions = Omit<ClawlinkErrorOptions, 'retryable'>;

/** Reasons after which trying again later can succeed without a person changing something. */
const RETRYABLE_REASONS: ReadonlySet<CredentialErrorReason> = new Set([
  'cooldown',
  'unreachable',
  'unclaimed',
]);

/**
 * TIM credentials could not be obtained. The message never contains a secret. `retryable` is
 * true for `cooldown`, `unreachable` and `unclaimed`; `retryAfterMs` is set when known.
 */
export class CredentialError extends ClawlinkError {
  /** Why credentials are not available. */
  readonly reason: CredentialErrorReason;
  /** @internal */
  readonly [MARKER] = true;

  /** Builds the error; `options.retryAfterMs` says when to try again, where it is known. */
  constructor(
    reason: CredentialErrorReason,
    message: string,
    options: CredentialErrorOptions = {},
  ) {
    super('CREDENTIALS_UNAVAILABLE', message, {
      ...options,
      retryable: RETRYABLE_REASONS.has(reason),
    });
    this.name = 'CredentialError';
    this.reason = reason;
  }

  /** True for a `CredentialError`, whichever copy of the package created it. */
  static override isInstance(error: unknown): error is CredentialError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}
