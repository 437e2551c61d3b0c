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

/** Options for {@link CredentialError}. */
export interface CredentialErrorOptions extends ClawlinkErrorOptions {
  /** When to try again, in milliseconds, where the reason allows a retry. */
  retryAfterMs?: number;
}

/** TIM credentials could not be obtained. The message never contains a secret. */
export class CredentialError extends ClawlinkError {
  readonly reason: CredentialErrorReason;
  readonly retryAfterMs: number | undefined;
  /** @internal */
  readonly [MARKER] = true;

  constructor(
    reason: CredentialErrorReason,
    message: string,
    options: CredentialErrorOptions = {},
  ) {
    super('CREDENTIALS_UNAVAILABLE', message, options);
    this.name = 'CredentialError';
    this.reason = reason;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Whether trying again later can succeed without a person changing something. */
  get retryable(): boolean {
    return (
      this.reason === 'cooldown' || this.reason === 'unreachable' || this.reason === 'unclaimed'
    );
  }

  static override isInstance(error: unknown): error is CredentialError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}
