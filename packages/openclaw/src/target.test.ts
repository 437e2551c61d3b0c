import { describe, expect, it } from 'vitest';
import { normalizeTarget, parseTarget } from './target.js';

describe('targets', () => {
  it('parses group:<id> and user:<id>, with or without the clawlink: prefix', () => {
    expect(parseTarget('group:@TGS#1abc')).toEqual({ type: 'group', id: '@TGS#1abc' });
    expect(parseTarget('clawlink:user:alice')).toEqual({ type: 'c2c', id: 'alice' });
    expect(parseTarget('alice')).toBeUndefined();
    expect(normalizeTarget(' USER:alice ')).toBe('user:alice');
  });
});
