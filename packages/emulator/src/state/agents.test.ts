import { describe, expect, test } from 'vitest';
import { codeOf, newTestState as newState } from '../test-support/test-state.js';

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
