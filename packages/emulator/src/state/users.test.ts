import { describe, expect, test } from 'vitest';
import { codeOf, newTestState as newState } from '../test-support/test-state.js';

describe('users', () => {
  test('UserIDs follow TIM rules; duplicates are refused', () => {
    const { state } = newState();
    state.createUser('alice');
    expect(codeOf(() => state.createUser('alice'))).toBe(10004);
    expect(codeOf(() => state.createUser('x'.repeat(33)))).toBe(7003);
    expect(codeOf(() => state.createUser('administrator'))).toBe(7003);
  });
});
