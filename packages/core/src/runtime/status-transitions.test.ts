import { describe, expect, it } from 'vitest';
import type { AccountState, AccountStatus, AccountStatusReason } from './account-status.js';
import { nextStatus, type StatusEvent } from './status-transitions.js';

const NOW = 1_000;
const LATER = 2_000;

function status(
  state: AccountState,
  reason?: AccountStatusReason,
  extra: Partial<AccountStatus> = {},
): AccountStatus {
  return {
    accountId: 'acct',
    state,
    since: NOW,
    userId: 'alice',
    ...(reason ? { reason } : {}),
    ...extra,
  };
}

const kickedBy = { type: 'kicked', reason: 'kickedByAdmin' } as const;

/** [from, event, expected state, expected reason]; `same` = the very same object back. */
const table: Array<[AccountStatus, StatusEvent, AccountState | 'same', AccountStatusReason?]> = [
  [status('stopped'), { type: 'start' }, 'connecting'],
  [status('half-alive', 'unclaimed'), { type: 'connecting' }, 'connecting', 'unclaimed'],
  [status('reconnecting', 'network'), { type: 'connecting' }, 'same'],
  [status('connecting'), { type: 'connected', userId: 'alice' }, 'connected'],
  [status('reconnecting', 'kicked'), { type: 'connected', userId: 'alice' }, 'connected'],
  [status('connected'), { type: 'connected', userId: 'alice' }, 'same'],
  [status('connected'), { type: 'network_lost' }, 'reconnecting', 'network'],
  [status('connecting'), { type: 'network_lost' }, 'same'],
  [status('half-alive', 'kicked'), { type: 'network_lost' }, 'same'],
  [status('reconnecting', 'network'), { type: 'network_given_up' }, 'reconnecting', 'network'],
  [status('connected'), { type: 'network_given_up' }, 'reconnecting', 'network'],
  [status('half-alive', 'kicked'), { type: 'network_given_up' }, 'same'],
  [status('connected'), { type: 'credential_expired' }, 'reconnecting', 'credential_expired'],
  [status('connected'), { ...kickedBy, reconnect: false }, 'half-alive', 'kicked'],
  [status('connected'), { ...kickedBy, reconnect: true }, 'reconnecting', 'kicked'],
  [
    status('connecting'),
    { type: 'credential_failed', reason: 'unclaimed', detail: 'not claimed yet' },
    'half-alive',
    'unclaimed',
  ],
  [
    status('connecting'),
    { type: 'login_failed', reason: 'login_failed', detail: 'TIM said no' },
    'reconnecting',
    'login_failed',
  ],
  [status('connected'), { type: 'store_error', detail: 'disk full' }, 'half-alive', 'store_error'],
  [status('connected'), { type: 'stopped' }, 'stopped'],
  [status('half-alive', 'revoked'), { type: 'stopped' }, 'stopped'],
];

describe('nextStatus', () => {
  it.each(table)('%j + %j -> %s %s', (from, event, state, reason) => {
    const next = nextStatus(from, event, LATER);
    if (state === 'same') {
      expect(next).toBe(from);
      return;
    }
    expect(next.state).toBe(state);
    expect(next.reason).toBe(reason);
    expect(next.since).toBe(LATER);
    expect(next.accountId).toBe('acct');
    expect(next.userId).toBe('alice');
    expect(next.retryAt).toBeUndefined();
  });

  it('says what to do in the detail of a kick, depending on onKicked', () => {
    const stop = nextStatus(status('connected'), { ...kickedBy, reconnect: false }, LATER);
    expect(stop.detail).toMatch(/administrator.*resume\(\)/);
    const take = nextStatus(status('connected'), { ...kickedBy, reconnect: true }, LATER);
    expect(take.detail).toMatch(/administrator.*onKicked: "reconnect"/);
  });

  it('carries a failure detail and sets retryAt without changing state or since', () => {
    const failed = nextStatus(
      status('connecting'),
      { type: 'credential_failed', reason: 'cooldown', detail: 'wait 5 s' },
      LATER,
    );
    expect(failed.detail).toBe('wait 5 s');
    const scheduled = nextStatus(failed, { type: 'retry_scheduled', at: 9_000 }, 3_000);
    expect(scheduled).toMatchObject({ state: 'half-alive', reason: 'cooldown', since: LATER });
    expect(scheduled.retryAt).toBe(9_000);
    // The next state drops retryAt and the old detail.
    const connected = nextStatus(scheduled, { type: 'connected', userId: 'alice' }, 4_000);
    expect(connected.retryAt).toBeUndefined();
    expect(connected.detail).toBeUndefined();
  });

  it('records the userId it connected as', () => {
    const from: AccountStatus = { accountId: 'acct', state: 'connecting', since: NOW };
    expect(nextStatus(from, { type: 'connected', userId: 'bob' }, LATER).userId).toBe('bob');
  });
});
