import type { InboundEvent, TimMessage } from '@clawlink/core';
import { describe, expect, it } from 'vitest';
import { conversationMessages } from './conversation-messages.js';

const base = {
  accountId: 'helper',
  sender: { id: 'alice', nick: 'Alice' },
  mentions: ['helper'],
  wasMentioned: true,
  time: 5_000,
  catchUp: false,
};

const channelEvent = (skill?: string): InboundEvent => ({
  ...base,
  kind: 'channel',
  conversation: { type: 'group', id: 'team' },
  channel: { id: 'team', name: 'Team', ...(skill ? { skill } : {}) },
  text: '@helper what did Bob say?',
  messages: [{ id: 'm9', time: 5_000, text: '@helper what did Bob say?' }],
});

function message(
  id: string,
  from: string,
  text: string,
  extra: Partial<TimMessage> = {},
): TimMessage {
  return {
    id,
    conversation: { type: 'group', id: 'team' },
    from,
    time: 1_000,
    kind: 'text',
    text,
    atUserList: [],
    atAll: false,
    ...extra,
  };
}

const shape = (messages: ReturnType<typeof conversationMessages>) =>
  messages.map((m) => [m.type, m.content]);

/** The context block and the question of the last (human) message. */
function last(messages: ReturnType<typeof conversationMessages>): {
  context: string;
  question: string;
} {
  const text = String(messages.at(-1)?.content);
  const match = /^<context>\n([\s\S]*)\n<\/context>\n\n([\s\S]*)$/.exec(text);
  if (!match) throw new Error(`no context block in ${text}`);
  return { context: match[1] as string, question: match[2] as string };
}

describe('conversationMessages', () => {
  it('in a channel: where it is with the skill, the history by speaker, then the question', () => {
    const history = [
      message('m1', 'bob', 'deploy is at five', { nick: 'Bob' }),
      message('m2', 'helper', 'noted'),
      message('m3', 'bob', '', { kind: 'custom' }),
      message('m4', '@TIM#SYSTEM', '', { kind: 'system' }),
      message('m5', 'carol', 'ok'),
    ];
    const messages = conversationMessages(channelEvent('Keep answers short.'), history, 'helper');
    expect(shape(messages).slice(0, -1)).toEqual([
      ['human', 'Bob: deploy is at five'],
      ['ai', 'noted'],
      ['human', 'carol: ok'],
    ]);
    expect(messages.map((m) => m.type)).not.toContain('system');
    const { context, question } = last(messages);
    expect(question).toBe('Alice: @helper what did Bob say?');
    expect(context).toContain('You are helper');
    expect(context).toContain('"Team" (channel id team)');
    expect(context).toContain('Alice (user id alice) addressed you');
    expect(context).toContain(
      "The channel's skill (what it is for, from its owner):\nKeep answers short.",
    );
  });

  it('says nothing of a skill when the channel has none', () => {
    const messages = conversationMessages(channelEvent(), [], 'helper');
    expect(messages).toHaveLength(1);
    expect(last(messages).context).not.toContain('skill');
  });

  it('in a direct chat: the texts as they are, no names', () => {
    const event: InboundEvent = {
      ...base,
      kind: 'direct',
      conversation: { type: 'c2c', id: 'alice' },
      text: 'and tomorrow?',
      messages: [{ id: 'd3', time: 5_000, text: 'and tomorrow?' }],
    };
    const history = [message('d1', 'alice', 'rain today?'), message('d2', 'helper', 'yes')];
    const messages = conversationMessages(event, history, 'helper');
    expect(last(messages).context).toContain(
      'direct (one-to-one) chat on Tencent Cloud IM with Alice',
    );
    expect(last(messages).question).toBe('and tomorrow?');
    expect(shape(messages).slice(0, -1)).toEqual([
      ['human', 'rain today?'],
      ['ai', 'yes'],
    ]);
  });

  it("for an agent request: the task with the asker's context", () => {
    const event: InboundEvent = {
      ...base,
      kind: 'agent_request',
      sender: { id: 'planner', nick: 'planner' },
      conversation: { type: 'c2c', id: 'planner' },
      text: 'summarise #team',
      messages: [{ id: 'r1', time: 5_000, text: 'summarise #team' }],
      request: {
        id: 'req-1',
        task: 'summarise #team',
        context: { since: 'monday' },
        from: 'planner',
      },
    };
    const messages = conversationMessages(event, [], 'helper');
    expect(messages).toHaveLength(1);
    expect(last(messages).context).toContain(
      'Another agent, planner (user id planner), sent you a task',
    );
    expect(last(messages).question).toBe('summarise #team\n\nContext: {"since":"monday"}');
  });
});
