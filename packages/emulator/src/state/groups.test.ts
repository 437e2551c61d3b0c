import { describe, expect, test } from 'vitest';
import { codeOf, newTestState as newState } from '../test-support/test-state.js';

describe('groups (admin rules)', () => {
  test('groups need existing owners and members; unknown groups are 10010', () => {
    const { state } = newState();
    state.createUser('alice');
    expect(codeOf(() => state.createGroup({ name: 'g', owner: 'ghost' }))).toBe(10019);
    expect(codeOf(() => state.createGroup({ name: 'g', owner: 'alice', members: ['ghost'] }))).toBe(
      10019,
    );
    expect(
      codeOf(() => state.createGroup({ name: 'g', owner: 'alice', groupId: '@TGS#mine' })),
    ).toBe(10004);
    expect(codeOf(() => state.addMembers('nope', ['alice']))).toBe(10010);
    expect(codeOf(() => state.dismissGroup('nope'))).toBe(10010);
  });

  test('group ids "." and ".." are refused with 10004 (no URL path could name them)', () => {
    const { state } = newState();
    state.createUser('alice');
    for (const groupId of ['.', '..']) {
      expect(codeOf(() => state.createGroup({ name: 'g', owner: 'alice', groupId }))).toBe(10004);
    }
    expect(state.createGroup({ name: 'g', owner: 'alice', groupId: '...' }).groupId).toBe('...');
    expect(state.createGroup({ name: 'g', owner: 'alice', groupId: 'a.b' }).groupId).toBe('a.b');
  });
});
