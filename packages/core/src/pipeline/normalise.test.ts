import { describe, expect, it } from 'vitest';
import type { TimMessage } from '../tim/tim-message.js';
import { type NormaliseContext, type NormalisedMessage, normalise } from './normalise.js';
import { typingStatusData } from './typing-indicator.js';

const GROUP = { type: 'group', id: '@TGS#1weather' } as const;
const SELF = 'weather-bot';
const context: NormaliseContext = { selfUserId: SELF };

function groupText(text: string, extra: Partial<TimMessage> = {}): TimMessage {
  return {
    id: '144115233-1733050000-7001',
    conversation: GROUP,
    from: 'alice',
    nick: 'Alice',
    time: 1_733_050_000_000,
    seq: 41,
    random: 7001,
    kind: 'text',
    text,
    atUserList: [],
    atAll: false,
    ...extra,
  };
}

function custom(data: string, description = '', extra: Partial<TimMessage> = {}): TimMessage {
  return {
    id: 'c2c-msg-1',
    conversation: { type: 'c2c', id: 'alice' },
    from: 'alice',
    time: 1_733_050_001_000,
    seq: 3,
    kind: 'custom',
    custom: { data, description, extension: '' },
    atUserList: [],
    atAll: false,
    ...extra,
  };
}

function kept(message: TimMessage, ctx: NormaliseContext = context): NormalisedMessage {
  const result = normalise(message, ctx);
  if (!('message' in result)) throw new Error(`dropped: ${result.drop}`);
  return result.message;
}

const quoteOf = (messageId: string, sender: string, extra: object = {}) =>
  JSON.stringify({
    messageReply: {
      messageAbstract: 'Sunny, 21°C',
      messageSender: sender,
      messageID: messageId,
      messageType: 1,
      messageTime: 1_733_049_990,
      messageSequence: 40,
      version: 1,
      ...extra,
    },
  });

describe('normalise', () => {
  it('keeps a group text message with its sender, mentions and position', () => {
    const message = groupText('@weather-bot @bob rain tomorrow?', {
      atUserList: ['weather-bot', 'bob', 'weather-bot'],
    });
    expect(kept(message)).toEqual({
      kind: 'message',
      id: message.id,
      conversation: GROUP,
      senderId: 'alice',
      senderNick: 'Alice',
      time: 1_733_050_000_000,
      seq: 41,
      content: 'text',
      text: '@weather-bot @bob rain tomorrow?',
      mentions: ['weather-bot', 'bob'],
      mentionsAll: false,
      quotesSelf: false,
      answers: [],
      source: message,
    });
  });

  it('reports @all and falls back to the UserID when TIM sent no nick', () => {
    const result = kept(groupText('@all standup', { atAll: true, nick: undefined }));
    expect(result.mentionsAll).toBe(true);
    expect(result.senderNick).toBe('alice');
  });

  it('drops its own, system, unsupported and empty messages with a reason', () => {
    expect(normalise(groupText('hi', { from: SELF }), context)).toEqual({ drop: 'own' });
    expect(normalise(groupText('', { kind: 'system', text: undefined }), context)).toEqual({
      drop: 'system',
    });
    expect(normalise(groupText('x', { from: '@TIM#SYSTEM' }), context)).toEqual({ drop: 'system' });
    expect(normalise(groupText('', { kind: 'other', text: undefined }), context)).toEqual({
      drop: 'unsupported',
    });
    expect(normalise(groupText('  \n '), context)).toEqual({ drop: 'empty' });
  });

  it('reads a custom message: JSON text (with link), plain data, else the description', () => {
    const link = custom(
      JSON.stringify({ businessID: 'text_link', text: 'Read this', link: 'https://x.test' }),
    );
    expect(kept(link)).toMatchObject({ content: 'custom', text: 'Read this https://x.test' });
    expect(kept(custom('plain words', 'summary')).text).toBe('plain words');
    expect(kept(custom(JSON.stringify({ businessID: 'order', id: 7 }), 'Order #7')).text).toBe(
      'Order #7',
    );
    expect(kept(custom('', 'only a description')).text).toBe('only a description');
  });

  it('drops a typing status as such', () => {
    expect(normalise(custom(typingStatusData(true)), context)).toEqual({ drop: 'typing' });
  });

  it('drops custom data it cannot read, without throwing', () => {
    expect(normalise(custom('{"businessID": "order", '), context)).toEqual({ drop: 'malformed' });
    expect(normalise(custom(JSON.stringify({ businessID: 'order', id: 7 })), context)).toEqual({
      drop: 'unsupported',
    });
    expect(normalise(custom('   ', ''), context)).toEqual({ drop: 'empty' });
  });

  it("passes a clawlink agent request through as a candidate when the caller's predicate says so", () => {
    const envelope = custom(
      JSON.stringify({ type: 'clawlink.request', id: 'r1', task: 'summarise' }),
      '',
    );
    const isAgentRequest = (m: TimMessage) =>
      m.custom?.data.includes('"clawlink.request"') === true;
    const result = kept(envelope, { ...context, isAgentRequest });
    expect(result).toMatchObject({
      kind: 'agent_request',
      id: 'c2c-msg-1',
      source: envelope,
      text: '',
    });
    expect(normalise(envelope, context)).toEqual({ drop: 'unsupported' });
  });

  it("recognises a TUIKit quote of this agent's message by sender UserID, nick or own message id", () => {
    const byId = groupText('and the day after?', { cloudCustomData: quoteOf('bot-msg-9', SELF) });
    expect(kept(byId)).toMatchObject({
      quote: { messageId: 'bot-msg-9', sender: SELF, abstract: 'Sunny, 21°C' },
      quotesSelf: true,
    });
    const byNick = groupText('thanks', { cloudCustomData: quoteOf('bot-msg-9', 'Weather Bot') });
    expect(kept(byNick).quotesSelf).toBe(false);
    expect(kept(byNick, { ...context, selfNames: ['Weather Bot'] }).quotesSelf).toBe(true);
    const byOwnId = groupText('?', { cloudCustomData: quoteOf('bot-msg-9', 'someone renamed') });
    const isOwnMessageId = (id: string) => id === 'bot-msg-9';
    expect(kept(byOwnId, { ...context, isOwnMessageId }).quotesSelf).toBe(true);
    const other = groupText('+1', {
      cloudCustomData: quoteOf('bob-msg-2', 'bob', { messageRootID: 'root-1' }),
    });
    expect(kept(other)).toMatchObject({
      quote: { messageId: 'bob-msg-2', rootId: 'root-1' },
      quotesSelf: false,
    });
  });

  it("tells the agent's quoted messages by the sender TinyId their ids begin with, once it knows its own", () => {
    const mine = '144115200000000042-1796150000-1234';
    const impostor = '144115200000000077-1796150001-99';
    const withTinyId = { ...context, selfNames: ['Weather Bot'], selfTinyId: '144115200000000042' };
    const ofMine = groupText('?', { cloudCustomData: quoteOf(mine, 'an old nick') });
    expect(kept(ofMine, withTinyId).quotesSelf).toBe(true);
    const sameNick = groupText('?', { cloudCustomData: quoteOf(impostor, 'Weather Bot') });
    expect(kept(sameNick, withTinyId).quotesSelf).toBe(false);
    // Not known yet, or an id of another shape: the nick decides, as before.
    expect(kept(sameNick, { ...context, selfNames: ['Weather Bot'] }).quotesSelf).toBe(true);
    const otherShape = groupText('?', { cloudCustomData: quoteOf('bot-msg-9', 'Weather Bot') });
    expect(kept(otherShape, withTinyId).quotesSelf).toBe(true);
  });

  it('reads the clawlink marker of a message that is itself a clawlink reply', () => {
    const reply = groupText('It will rain.', {
      from: 'other-bot',
      cloudCustomData: JSON.stringify({ clawlink: { v: 1, replyTo: ['m1', 'm2'] } }),
    });
    expect(kept(reply).answers).toEqual(['m1', 'm2']);
  });

  it.each([
    ['not JSON', '{messageReply:'],
    ['JSON of another shape', '[1,2,3]'],
    ['a messageReply without an id', JSON.stringify({ messageReply: { messageSender: SELF } })],
    ['a messageReply of the wrong type', JSON.stringify({ messageReply: 'quoted', clawlink: 'x' })],
    ['a marker of the wrong shape', JSON.stringify({ clawlink: { v: 1, replyTo: 'm1' } })],
  ])('keeps a message whose cloud custom data is %s, with no quote and no marker', (_, data) => {
    const result = kept(groupText('hello', { cloudCustomData: data }));
    expect(result.quote).toBeUndefined();
    expect(result.quotesSelf).toBe(false);
    expect(result.answers).toEqual([]);
  });
});
