import { describe, expect, test } from 'vitest';
import { createEmulatorState } from './emulator-state.js';
import { TimCodeError } from './protocol/tim-codes.js';
import { createMemoryStorage } from './storage/memory-storage.js';

function newState() {
  const storage = createMemoryStorage();
  return { storage, state: createEmulatorState({ storage, now: () => 1_700_000_000_000 }) };
}

const codeOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof TimCodeError ? error.code : undefined;
  }
  return undefined;
};

describe('agents', () => {
  test('register creates an unclaimed agent and its TIM user; the apiKey is kept only as a hash', () => {
    const { state, storage } = newState();
    const agent = state.registerAgent({ agentId: 'scout', nick: 'Scout' });
    expect(agent).toMatchObject({
      agentId: 'scout',
      userId: 'scout',
      claimed: false,
      revoked: false,
    });
    expect(agent.apiKey).toMatch(/^ak_[A-Za-z0-9_-]{43}$/);
    expect(state.getUser('scout')).toMatchObject({ nick: 'Scout' });
    expect(JSON.stringify(storage.getAgent('scout'))).not.toContain(agent.apiKey);
    expect(state.getAgent('scout')).toEqual({
      agentId: 'scout',
      userId: 'scout',
      claimed: false,
      revoked: false,
    });
    expect(state.verifyAgentKey('scout', agent.apiKey)).toBe(true);
    expect(state.verifyAgentKey('scout', `${agent.apiKey}x`)).toBe(false);
    expect(state.verifyAgentKey('nobody', agent.apiKey)).toBe(false);
  });

  test('generated ids are unique; claim, revoke, and no claim after revoke', () => {
    const { state } = newState();
    const a = state.registerAgent();
    const b = state.registerAgent({ userId: 'bot_b' });
    expect(a.agentId).not.toBe(b.agentId);
    expect(b.userId).toBe('bot_b');
    expect(state.claimAgent(a.agentId).claimed).toBe(true);
    expect(state.revokeAgent(a.agentId).revoked).toBe(true);
    expect(() => state.claimAgent(a.agentId)).toThrow(/revoked/);
    expect(() => state.registerAgent({ agentId: a.agentId })).toThrow(/already registered/);
    expect(() => state.claimAgent('missing')).toThrow(/not registered/);
    expect(codeOf(() => state.registerAgent({ userId: 'has space' }))).toBe(7003);
  });
});

describe('users and groups (admin rules)', () => {
  test('UserIDs follow TIM rules; duplicates are refused', () => {
    const { state } = newState();
    state.createUser('alice');
    expect(codeOf(() => state.createUser('alice'))).toBe(10004);
    expect(codeOf(() => state.createUser('x'.repeat(33)))).toBe(7003);
    expect(codeOf(() => state.createUser('administrator'))).toBe(7003);
  });

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

  test('admin posts need no membership; history pages newest first; removing the owner is refused', () => {
    const { state } = newState();
    state.createUser('alice');
    state.createUser('bob');
    const group = state.createGroup({ name: 'g', owner: 'alice' });
    const body = [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'hi' } }];
    state.sendGroupMessage(group.groupId, { from: 'bob', msgBody: body }, false);
    expect(
      codeOf(() => state.sendGroupMessage(group.groupId, { from: 'bob', msgBody: body }, true)),
    ).toBe(10007);
    state.sendGroupMessage(group.groupId, { from: 'alice', msgBody: body }, true);
    expect(state.groupMessages(group.groupId, 10).map((m) => [m.seq, m.from])).toEqual([
      [2, 'alice'],
      [1, 'bob'],
    ]);
    expect(codeOf(() => state.removeMembers(group.groupId, ['alice']))).toBe(10007);
  });
});
