/**
 * Where an account is in its life:
 * - `stopped`: not started, or stopped.
 * - `half-alive`: the state store is open but there is no TIM connection, because credentials
 *   are not available (unclaimed agent, cooldown, revoked or invalid credentials) or the
 *   session was taken over by another login, or the state store failed while running
 *   (`store_error`). `reason` says which.
 * - `connecting`: logging in for the first time (or after half-alive).
 * - `connected`: logged in and ready.
 * - `reconnecting`: the connection was lost or the UserSig expired; coming back on its own.
 */
export type AccountState = 'stopped' | 'half-alive' | 'connecting' | 'connected' | 'reconnecting';

/** Why an account is not (or no longer) connected. */
export type AccountStatusReason =
  | 'unclaimed'
  | 'cooldown'
  | 'revoked'
  | 'invalid'
  | 'unreachable'
  | 'kicked'
  | 'credential_expired'
  | 'network'
  | 'login_failed'
  /** The state store failed while running; no message is taken until it works again. */
  | 'store_error';

/** A truthful snapshot of one account; every change is emitted as a `status` event. */
export interface AccountStatus {
  readonly accountId: string;
  readonly state: AccountState;
  /** Why the account is not connected; absent when `connected` or `stopped` normally. */
  readonly reason?: AccountStatusReason;
  /** A human explanation of `reason`, with what to do; never contains secrets. */
  readonly detail?: string;
  /** When the state was entered, milliseconds since the epoch. */
  readonly since: number;
  /** When the next background attempt is due, if one is scheduled. */
  readonly retryAt?: number;
  /** The TIM UserID, once known. */
  readonly userId?: string;
}
