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

  it('never echoes the id it refuses (it may be pasted from a secret)', () => {
    const id = `sk-${'s3cr3t'.repeat(10)}`;
    const problem = checkUserId(id) ?? '';
    expect(problem).toMatch(/at most 32 bytes; this one is 63/);
    expect(problem).not.toContain('s3cr3t');
  });
});
