import { describe, expect, it } from 'vitest';
import { checkUserId } from './user-id.js';

describe('checkUserId', () => {
  it('accepts ordinary ids up to 32 bytes', () => {
    for (const id of ['alice', 'agent_01', 'a-b.c@d', 'x'.repeat(32), '用户']) {
      expect(checkUserId(id)).toBeUndefined();
    }
  });

  it('refuses ids TIM refuses', () => {
    expect(checkUserId('')).toMatch(/non-empty/);
    expect(checkUserId(42)).toMatch(/non-empty string/);
    expect(checkUserId('x'.repeat(33))).toMatch(/32 bytes/);
    expect(checkUserId('用'.repeat(11))).toMatch(/32 bytes/);
    expect(checkUserId('has space')).toMatch(/spaces/);
    expect(checkUserId('@TGS#group')).toMatch(/@TGS#/);
    expect(checkUserId('administrator')).toMatch(/reserved/);
  });
});
