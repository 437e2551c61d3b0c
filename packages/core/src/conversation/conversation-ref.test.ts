import { describe, expect, it } from 'vitest';
import { conversationKey, parseConversationKey } from './conversation-ref.js';

describe('conversation keys', () => {
  it('round-trips groups and C2C conversations, ids with colons included', () => {
    for (const ref of [
      { type: 'group', id: 'team' },
      { type: 'c2c', id: 'alice' },
      { type: 'group', id: '@TGS#a:b' },
    ] as const) {
      expect(parseConversationKey(conversationKey(ref))).toEqual(ref);
    }
    expect(conversationKey({ type: 'group', id: 'team' })).toBe('group:team');
  });

  it('refuses what is not a key, naming it', () => {
    for (const bad of ['team', 'GROUP:team', 'c2c:', ':x', 'dm:bob']) {
      expect(() => parseConversationKey(bad)).toThrow(`'${bad}' is not a conversation key`);
    }
  });
});
