import { describe, expect, it } from 'vitest';
import { TimError } from '../errors/tim-error.js';
import { mapTimCode, toTimError } from './tim-error-map.js';

describe('tim-error-map', () => {
  it.each([
    [70001, 'CREDENTIALS_UNAVAILABLE'],
    [70003, 'CREDENTIALS_UNAVAILABLE'],
    [70398, 'CREDENTIALS_UNAVAILABLE'],
    [10010, 'CHANNEL_NOT_FOUND'],
    [10007, 'PERMISSION_DENIED'],
    [80002, 'TOO_LARGE'],
    [10023, 'RATE_LIMITED'],
    [10004, 'INVALID_ARGUMENT'],
    [2999, 'NOT_CONNECTED'],
    [2801, 'TIMEOUT'],
    [3003, 'KICKED'],
    [99999, 'TIM_ERROR'],
  ])('maps TIM %i to %s', (timCode, code) => {
    expect(mapTimCode(timCode).code).toBe(code);
  });

  it('names the operation, keeps the TIM code and says what to do', () => {
    const error = toTimError('joinChannel', { code: 10010, message: 'group not found' });
    expect(TimError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'CHANNEL_NOT_FOUND',
      timCode: 10010,
      operation: 'joinChannel',
    });
    expect(error.message).toMatch(
      /^joinChannel failed: the channel does not exist .*check the channel id/,
    );
    expect(error.message).toContain('(TIM 10010: group not found)');
  });

  it('scrubs secrets from TIM text and passes TimErrors through', () => {
    const error = toTimError('login', { code: 70003, message: 'bad sig eJwSECRET' }, (t) =>
      t.replace('eJwSECRET', '[redacted]'),
    );
    expect(error.message).not.toContain('eJwSECRET');
    const original = new TimError('TIMEOUT', 'slow');
    expect(toTimError('x', original)).toBe(original);
    expect(toTimError('x', new Error('boom')).code).toBe('TIM_ERROR');
  });
});
