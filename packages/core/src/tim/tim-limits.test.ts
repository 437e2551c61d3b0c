import { describe, expect, it } from 'vitest';
import { requireUserId } from './tim-limits.js';

describe('requireUserId', () => {
  it('refuses a bad UserID without echoing it (it may be pasted from a secret)', () => {
    const id = `sk-${'s3cr3t'.repeat(10)}`;
    let message = '';
    try {
      requireUserId('sendMessage', 'the recipient', id);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/sendMessage failed: the recipient is not a valid TIM UserID/);
    expect(message).not.toContain('s3cr3t');
  });
});
