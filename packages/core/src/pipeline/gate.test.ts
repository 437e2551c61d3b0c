import { describe, expect, it } from 'vitest';
import type { TimMessage } from '../tim/tim-message.js';
import { type GatePolicy, gate, isMentioned } from './gate.js';
import { type NormalisedMessage, normalise } from './normalise.js';
import { parsePipelineConfig } from './pipeline-config.js';

const SELF = 'bot';
const context = { selfUserId: SELF };
const GROUP_ID = '@TGS#1support';

function received(extra: Partial<TimMessage>): NormalisedMessage {
  const message: TimMessage = {
    id: `m-${Math.random()}`,
    conversation: { type: 'group', id: GROUP_ID },
    from: 'alice',
    nick: 'Alice',
    time: 1_733_050_000_000,
    seq: 9,
    kind: 'text',
    text: 'hello',
    atUserList: [],
    atAll: false,
    ...extra,
  };
  const result = normalise(message, {
    selfUserId: SELF,
    isAgentRequest: (m) => m.custom?.data.startsWith('{"type":"clawlink.request"') === true,
  });
  if (!('message' in result)) throw new Error(`dropped: ${result.drop}`);
  return result.message;
}

const policy = (input: object = {}): GatePolicy => parsePipelineConfig(input);
const direct = (from: string) => received({ conversation: { type: 'c2c', id: from }, from });
const quoting = (sender: string) =>
  received({
    cloudCustomData: JSON.stringify({
      messageReply: { messageID: 'x1', messageSender: sender, version: 1 },
    }),
  });

describe('gate: groups', () => {
  it('needs a mention by default: @ the agent, or a quote of its message', () => {
    expect(gate(received({}), policy(), context)).toEqual({ pass: false, reason: 'not_mentioned' });
    expect(gate(received({ atUserList: ['bob'] }), policy(), context)).toEqual({
      pass: false,
      reason: 'not_mentioned',
    });
    expect(gate(received({ atUserList: ['bob', SELF] }), policy(), context)).toEqual({
      pass: true,
    });
    expect(gate(quoting(SELF), policy(), context)).toEqual({ pass: true });
    expect(gate(quoting('bob'), policy(), context).pass).toBe(false);
  });

  it('counts @all only with mentionAll on', () => {
    const everyone = received({ atAll: true });
    expect(gate(everyone, policy(), context)).toEqual({ pass: false, reason: 'not_mentioned' });
    expect(gate(everyone, policy({ groups: { mentionAll: true } }), context)).toEqual({
      pass: true,
    });
  });

  it('answers everything with requireMention off, globally or for one channel', () => {
    expect(gate(received({}), policy({ groups: { requireMention: false } }), context)).toEqual({
      pass: true,
    });
    const perChannel = policy({ groups: { channels: { [GROUP_ID]: { requireMention: false } } } });
    expect(gate(received({}), perChannel, context)).toEqual({ pass: true });
    const other = received({ conversation: { type: 'group', id: '@TGS#2other' } });
    expect(gate(other, perChannel, context)).toEqual({ pass: false, reason: 'not_mentioned' });
    const strictHere = policy({
      groups: { requireMention: false, channels: { [GROUP_ID]: { requireMention: true } } },
    });
    expect(gate(received({}), strictHere, context)).toEqual({
      pass: false,
      reason: 'not_mentioned',
    });
    expect(
      gate(
        received({}),
        policy({ groups: { requireMention: false, channels: { [GROUP_ID]: {} } } }),
        context,
      ),
    ).toEqual({
      pass: true,
    });
  });

  it('allows and denies by group id; deny wins; * matches any group', () => {
    const mentioned = received({ atUserList: [SELF] });
    expect(gate(mentioned, policy({ groups: { allow: ['@TGS#2other'] } }), context)).toEqual({
      pass: false,
      reason: 'group_not_allowed',
    });
    expect(gate(mentioned, policy({ groups: { allow: [GROUP_ID] } }), context)).toEqual({
      pass: true,
    });
    expect(gate(mentioned, policy({ groups: { deny: [GROUP_ID] } }), context)).toEqual({
      pass: false,
      reason: 'group_denied',
    });
    expect(
      gate(mentioned, policy({ groups: { allow: [GROUP_ID], deny: ['*'] } }), context),
    ).toEqual({
      pass: false,
      reason: 'group_denied',
    });
  });
});

describe('gate: group senders', () => {
  it('answers only the senders in groups.allowFrom; absent or * is everyone', () => {
    const fromAlice = received({ atUserList: [SELF] });
    const fromCarol = received({ atUserList: [SELF], from: 'carol' });
    const onlyAlice = policy({ groups: { allowFrom: ['alice'] } });
    expect(gate(fromAlice, onlyAlice, context)).toEqual({ pass: true });
    expect(gate(fromCarol, onlyAlice, context)).toEqual({
      pass: false,
      reason: 'group_sender_not_allowed',
    });
    expect(gate(fromCarol, policy(), context)).toEqual({ pass: true });
    expect(gate(fromCarol, policy({ groups: { allowFrom: ['*'] } }), context)).toEqual({
      pass: true,
    });
  });

  it('checks the group before the sender, and the sender before the mention', () => {
    const unaddressed = received({ from: 'carol' });
    const onlyAlice = { allowFrom: ['alice'] };
    expect(
      gate(unaddressed, policy({ groups: { ...onlyAlice, allow: ['@TGS#2other'] } }), context),
    ).toEqual({ pass: false, reason: 'group_not_allowed' });
    expect(gate(unaddressed, policy({ groups: onlyAlice }), context)).toEqual({
      pass: false,
      reason: 'group_sender_not_allowed',
    });
  });
});

describe('gate: direct messages', () => {
  it('answers anyone by default, never needing a mention', () => {
    expect(
      gate(direct('alice'), policy({ groups: { allow: [], requireMention: true } }), context),
    ).toEqual({
      pass: true,
    });
  });

  it('refuses when disabled, or when the sender is not in allowFrom', () => {
    expect(gate(direct('alice'), policy({ direct: { enabled: false } }), context)).toEqual({
      pass: false,
      reason: 'direct_disabled',
    });
    const onlyBob = policy({ direct: { allowFrom: ['bob'] } });
    expect(gate(direct('alice'), onlyBob, context)).toEqual({
      pass: false,
      reason: 'sender_not_allowed',
    });
    expect(gate(direct('bob'), onlyBob, context)).toEqual({ pass: true });
  });
});

describe('gate: agent requests', () => {
  it('never applies the group or direct policy to them', () => {
    const request = received({
      conversation: { type: 'c2c', id: 'other-agent' },
      from: 'other-agent',
      kind: 'custom',
      text: undefined,
      custom: { data: '{"type":"clawlink.request","id":"r1"}', description: '', extension: '' },
    });
    expect(request.kind).toBe('agent_request');
    const closed = policy({ direct: { enabled: false }, groups: { allow: [], deny: ['*'] } });
    expect(gate(request, closed, context)).toEqual({ pass: true });
    expect(isMentioned(request, closed, context)).toBe(true);
  });
});

describe('isMentioned', () => {
  it('is what the gate calls a mention, and always true in direct chats', () => {
    const config = policy({ groups: { mentionAll: true } });
    expect(isMentioned(received({}), config, context)).toBe(false);
    expect(isMentioned(received({ atUserList: [SELF] }), config, context)).toBe(true);
    expect(isMentioned(received({ atAll: true }), config, context)).toBe(true);
    expect(isMentioned(received({ atAll: true }), policy(), context)).toBe(false);
    expect(isMentioned(quoting(SELF), policy(), context)).toBe(true);
    expect(isMentioned(direct('alice'), policy(), context)).toBe(true);
  });
});
