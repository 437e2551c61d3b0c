import { describe, expect, it } from 'vitest';
import { ClawlinkError } from './clawlink-error.js';
import { ConfigError } from './config-error.js';
import { CredentialError } from './credential-error.js';
import { StateStoreError } from './state-store-error.js';
import { TimError } from './tim-error.js';

describe('ClawlinkError retry advice', () => {
  it('is retryable by default only for NOT_CONNECTED, TIMEOUT and RATE_LIMITED', () => {
    for (const code of ['NOT_CONNECTED', 'TIMEOUT', 'RATE_LIMITED'] as const) {
      expect(new TimError(code, 'x').retryable).toBe(true);
    }
    expect(new ClawlinkError('STOPPED', 'x').retryable).toBe(false);
    expect(new ClawlinkError('KICKED', 'x').retryable).toBe(false);
    expect(new TimError('TOO_LARGE', 'x').retryable).toBe(false);
    expect(new StateStoreError('x').retryable).toBe(false);
    expect(new ConfigError('options', [{ path: 'a', message: 'b' }]).retryable).toBe(false);
  });

  it('carries what the thrower knows: retryable and retryAfterMs on the base class', () => {
    const limited = new TimError('RATE_LIMITED', 'slow down', { retryAfterMs: 1500 });
    expect(limited).toMatchObject({ retryable: true, retryAfterMs: 1500 });
    expect(new ClawlinkError('TIM_ERROR', 'x', { retryable: true }).retryable).toBe(true);
    expect(new ClawlinkError('TIMEOUT', 'x', { retryable: false }).retryable).toBe(false);
    expect(new ClawlinkError('TIMEOUT', 'x').retryAfterMs).toBeUndefined();
  });

  it("derives a CredentialError's retryable from its reason", () => {
    const cooldown = new CredentialError('cooldown', 'wait', { retryAfterMs: 60_000 });
    expect(cooldown).toMatchObject({ retryable: true, retryAfterMs: 60_000 });
    expect(new CredentialError('unreachable', 'x').retryable).toBe(true);
    expect(new CredentialError('unclaimed', 'x').retryable).toBe(true);
    expect(new CredentialError('revoked', 'x').retryable).toBe(false);
    expect(new CredentialError('invalid', 'x').retryable).toBe(false);
    expect(ClawlinkError.isInstance(cooldown) && CredentialError.isInstance(cooldown)).toBe(true);
  });
});
