import type { KickReason } from '../tim/tim-client.js';
import type { AccountStatus, AccountStatusReason } from './account-status.js';

/**
 * What happened to an account, as far as its status is concerned. {@link nextStatus} turns
 * the current status and one event into the next status.
 */
export type StatusEvent =
  /** `start()` opened the store and begins the first login. */
  | { type: 'start' }
  /** A login begins (first one, after half-alive, or a retry). */
  | { type: 'connecting' }
  /** Logged in and ready, as `userId`. */
  | { type: 'connected'; userId: string }
  /** The SDK reports the connection lost; it tries to restore it on its own. */
  | { type: 'network_lost' }
  /** The SDK stopped trying to restore the connection; the runtime logs in afresh. */
  | { type: 'network_given_up' }
  /** TIM said the UserSig expired; the runtime logs in with a new one. */
  | { type: 'credential_expired' }
  /** TIM signed the session out; `reconnect` says whether the runtime takes it back. */
  | { type: 'kicked'; reason: KickReason; reconnect: boolean }
  /** No usable credentials (`reason` from the `CredentialError`); `detail` is its message. */
  | { type: 'credential_failed'; reason: AccountStatusReason; detail: string }
  /** A login failed; the runtime retries with backoff. */
  | { type: 'login_failed'; reason: 'login_failed' | 'network'; detail: string }
  /** The state store failed at run time; the runtime stops taking messages until it works. */
  | { type: 'store_error'; detail: string }
  /** A background attempt is due at `at` (milliseconds since the epoch). */
  | { type: 'retry_scheduled'; at: number }
  /** `stop()` finished. */
  | { type: 'stopped' };

/**
 * The status after `event`, entered at `now`. Pure: the same input gives the same output, and
 * when nothing changes (same state, reason and detail) the very same `status` object is
 * returned, so callers emit a `status` event only for a real change. A new state drops
 * `retryAt` (only `retry_scheduled` sets it) and keeps the known `userId`.
 */
export function nextStatus(status: AccountStatus, event: StatusEvent, now: number): AccountStatus {
  switch (event.type) {
    case 'start':
      return enter(status, now, 'connecting');
    case 'connecting':
      // A reconnect stays `reconnecting` (with its reason) through its login attempts.
      if (status.state === 'reconnecting') return status;
      return enter(status, now, 'connecting', status.reason);
    case 'connected':
      if (status.state === 'connected' && status.userId === event.userId) return status;
      return enter({ ...status, userId: event.userId }, now, 'connected');
    case 'network_lost':
      // Only a live session can lose its connection; a login in progress reports its failure.
      if (status.state !== 'connected') return status;
      return enter(
        status,
        now,
        'reconnecting',
        'network',
        'The TIM connection was lost; reconnecting.',
      );
    case 'network_given_up':
      if (status.state !== 'connected' && status.state !== 'reconnecting') return status;
      return enter(
        status,
        now,
        'reconnecting',
        'network',
        'The TIM connection was lost and TIM gave up restoring it; logging in again.',
      );
    case 'credential_expired':
      return enter(
        status,
        now,
        'reconnecting',
        'credential_expired',
        'The UserSig expired; logging in with a new one.',
      );
    case 'kicked': {
      const detail = `Signed out because ${describeKick(event.reason)}.`;
      return event.reconnect
        ? enter(
            status,
            now,
            'reconnecting',
            'kicked',
            `${detail} Logging in again (onKicked: "reconnect").`,
          )
        : enter(status, now, 'half-alive', 'kicked', `${detail} Call resume() to log in again.`);
    }
    case 'credential_failed':
      return enter(status, now, 'half-alive', event.reason, event.detail);
    case 'login_failed':
      return enter(status, now, 'reconnecting', event.reason, event.detail);
    case 'store_error':
      return enter(status, now, 'half-alive', 'store_error', event.detail);
    case 'retry_scheduled':
      return { ...status, retryAt: event.at };
    case 'stopped':
      return enter(status, now, 'stopped');
  }
}

/** Why a kick happened, as the end of a sentence ("Signed out because ..."). */
export function describeKick(reason: KickReason): string {
  switch (reason) {
    case 'multipleAccount':
    case 'multipleDevice':
      return 'another login of the same TIM user took over the session';
    case 'kickedByAdmin':
      return 'an administrator kicked the session';
    case 'userSigExpired':
      return 'the UserSig expired';
    default:
      return 'TIM ended the session';
  }
}

function enter(
  status: AccountStatus,
  now: number,
  state: AccountStatus['state'],
  reason?: AccountStatusReason,
  detail?: string,
): AccountStatus {
  if (status.state === state && status.reason === reason && status.detail === detail) return status;
  return {
    accountId: status.accountId,
    state,
    since: now,
    ...(reason ? { reason } : {}),
    ...(detail ? { detail } : {}),
    ...(status.userId ? { userId: status.userId } : {}),
  };
}
