import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationRef } from '../conversation/conversation-ref.js';
import { getChannel } from '../tim/channels.js';
import { sendMessage } from '../tim/messages.js';
import { waitUntil } from '../tim/test-support.js';
import { createTimClient, type TimClient, type TimMessage } from '../tim/tim-client.js';
import { normalise } from './normalise.js';
import {
  type AnsweredMessage,
  answeredIds,
  answeredInFull,
  buildReplyFormat,
  DEFAULT_MENTION_TEXT,
  type ReplyFormatOptions,
  readQuote,
} from './reply-format.js';

const GROUP: ConversationRef = { type: 'group', id: '@TGS#1weather' };
const ALICE = { id: 'alice', nick: 'Alice' };
const ON: ReplyFormatOptions = {
  quote: true,
  mentionSender: true,
  mentionText: DEFAULT_MENTION_TEXT,
};

const question = (
  id: string,
  text: string,
  extra: Partial<AnsweredMessage> = {},
): AnsweredMessage => ({
  id,
  time: 1_733_050_000_000,
  seq: 41,
  text,
  content: 'text',
  ...extra,
});

describe('buildReplyFormat', () => {
  it("quotes the newest answered message in TUIKit's shape, marks every answered id, mentions the sender", () => {
    const format = buildReplyFormat(
      GROUP,
      [question('m1', 'first', { seq: 40 }), question('m2', 'rain tomorrow?')],
      ALICE,
      ON,
    );
    expect(JSON.parse(format.cloudCustomData)).toEqual({
      messageReply: {
        messageAbstract: 'rain tomorrow?',
        messageSender: 'Alice',
        messageID: 'm2',
        messageType: 1,
        messageTime: 1_733_050_000,
        messageSequence: 41,
        version: 1,
        messageRootID: 'm2',
      },
      clawlink: { v: 1, replyTo: ['m1', 'm2'] },
    });
    expect(format.mentions).toEqual(['alice']);
    expect(format.textPrefix).toBe('@Alice ');
  });

  it('keeps the thread root of an answered reply, shortens long abstracts, names custom messages', () => {
    const long = 'é'.repeat(150);
    const format = buildReplyFormat(
      GROUP,
      [question('m3', long, { content: 'custom', quote: { rootId: 'root-1' }, seq: undefined })],
      { id: 'bob', nick: '' },
      { ...ON, mentionText: '{id}: ' },
    );
    const reply = JSON.parse(format.cloudCustomData).messageReply;
    expect(reply).toMatchObject({ messageRootID: 'root-1', messageType: 2, messageSender: 'bob' });
    expect(reply).not.toHaveProperty('messageSequence');
    expect(reply.messageAbstract).toBe(`${'é'.repeat(100)}…`);
    expect(format.textPrefix).toBe('bob: ');
  });

  it('only marks the answered ids in direct chats and when quote and mention are off', () => {
    const direct = buildReplyFormat(
      { type: 'c2c', id: 'alice' },
      [question('d1', 'hi')],
      ALICE,
      ON,
    );
    expect(direct).toEqual({
      cloudCustomData: JSON.stringify({ clawlink: { v: 1, replyTo: ['d1'] } }),
      cloudCustomDataFor: expect.any(Function),
      mentions: [],
      textPrefix: '',
    });
    const quiet = buildReplyFormat(GROUP, [question('g1', 'hi')], ALICE, {
      ...ON,
      quote: false,
      mentionSender: false,
    });
    expect(quiet).toEqual({
      cloudCustomData: JSON.stringify({ clawlink: { v: 1, replyTo: ['g1'] } }),
      cloudCustomDataFor: expect.any(Function),
      mentions: [],
      textPrefix: '',
    });
  });
});

describe('answeredIds and readQuote', () => {
  it('read back what buildReplyFormat wrote', () => {
    const { cloudCustomData } = buildReplyFormat(
      GROUP,
      [question('a', 'x'), question('b', 'y')],
      ALICE,
      ON,
    );
    expect(answeredIds(cloudCustomData)).toEqual(['a', 'b']);
    expect(readQuote(cloudCustomData)).toEqual({
      messageId: 'b',
      sender: 'Alice',
      abstract: 'y',
      rootId: 'b',
    });
  });

  it.each([
    ['nothing', undefined],
    ['an empty string', ''],
    ['not JSON', 'clawlink:{v:1}'],
    ['a JSON array', '["a"]'],
    ['JSON null', 'null'],
    ['another app’s data', JSON.stringify({ messageFeature: { needTyping: 1, version: 1 } })],
    ['a marker of another version', JSON.stringify({ clawlink: { v: 2, replyTo: ['a'] } })],
    ['a marker with a string replyTo', JSON.stringify({ clawlink: { v: 1, replyTo: 'a' } })],
  ])('find no answered ids and no quote in %s', (_, data) => {
    expect(answeredIds(data)).toEqual([]);
    expect(readQuote(data)).toBeUndefined();
  });

  it('skip ids that are not non-empty strings', () => {
    expect(
      answeredIds(JSON.stringify({ clawlink: { v: 1, replyTo: ['a', 7, '', null, 'b'] } })),
    ).toEqual(['a', 'b']);
  });
});

describe('answeredInFull (replies in several messages, streamed ones)', () => {
  const format = buildReplyFormat(GROUP, [question('a', 'x'), question('b', 'y')], ALICE, ON);
  const part = (part: number, parts?: number, partial?: boolean) =>
    format.cloudCustomDataFor({
      part,
      ...(parts === undefined ? {} : { parts }),
      ...(partial ? { partial } : {}),
    });

  it('writes the part, the count and partial into the marker, next to the quote', () => {
    const data = JSON.parse(part(2, 3));
    expect(data.clawlink).toEqual({ v: 1, replyTo: ['a', 'b'], part: 2, parts: 3 });
    expect(data.messageReply.messageID).toBe('b');
    expect(JSON.parse(part(1, undefined, true)).clawlink).toEqual({
      v: 1,
      replyTo: ['a', 'b'],
      part: 1,
      partial: true,
    });
  });

  it('counts a reply in one finished message, and a complete set of parts in any order', () => {
    expect(answeredInFull([format.cloudCustomData])).toEqual(new Set(['a', 'b']));
    expect(answeredInFull([part(2, 2), undefined, part(1, 2)])).toEqual(new Set(['a', 'b']));
    // A streamed reply in several messages names the count on its last one only.
    expect(answeredInFull([part(1), part(2), part(3, 3)])).toEqual(new Set(['a', 'b']));
  });

  it('counts nothing for a reply cut short: a part missing, a count unknown, a message still growing', () => {
    expect(answeredInFull([part(1, 2)])).toEqual(new Set());
    expect(answeredInFull([part(1, 3), part(3, 3)])).toEqual(new Set());
    expect(answeredInFull([part(1), part(2)])).toEqual(new Set());
    expect(answeredInFull([part(1, undefined, true)])).toEqual(new Set());
    expect(answeredInFull([part(1), part(2, undefined, true)])).toEqual(new Set());
  });

  it('counts a reply given again in full after one that was cut', () => {
    const again = buildReplyFormat(GROUP, [question('a', 'x')], ALICE, ON);
    const cut = format.cloudCustomDataFor({ part: 1, partial: true });
    expect(answeredInFull([cut, again.cloudCustomData])).toEqual(new Set(['a']));
  });

  it('reads a growing message as answering nothing, a finished part as answering its ids', () => {
    expect(answeredIds(part(1, undefined, true))).toEqual([]);
    expect(answeredIds(part(1, 2))).toEqual(['a', 'b']);
  });
});

describe('reply cloud custom data through the real SDK and the emulator', () => {
  const SDK_APP_ID = 1400000081;
  let emulator: Emulator;
  const clients: TimClient[] = [];
  const inbox: Record<string, TimMessage[]> = { alice: [], bot: [] };

  async function connect(userId: 'alice' | 'bot'): Promise<TimClient> {
    emulator.createUser(userId);
    const client = createTimClient({ sdkAppId: SDK_APP_ID, server: emulator.wsUrl });
    client.on('message', (message) => inbox[userId]?.push(message));
    await client.login({ userId, userSig: emulator.userSig(userId) });
    clients.push(client);
    return client;
  }

  async function received(userId: 'alice' | 'bot', text: string): Promise<TimMessage> {
    const find = () => inbox[userId]?.find((m) => m.text === text);
    await waitUntil(() => find() !== undefined, 10_000, `'${text}' for ${userId}`);
    return find() as TimMessage;
  }

  beforeAll(async () => {
    emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: 'reply-format-test-secret' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.destroy()));
    await emulator?.close();
  });

  it("arrives intact, is shown as a quote of the answered message, and the agent's earlier reply is recognised", async () => {
    const [alice, bot] = await Promise.all([connect('alice'), connect('bot')]);
    const { groupId } = emulator.createGroup({
      name: 'weather',
      owner: 'alice',
      members: ['alice', 'bot'],
    });
    await Promise.all([getChannel(alice, groupId), getChannel(bot, groupId)]);
    const conversation: ConversationRef = { type: 'group', id: groupId };

    const asked = await sendMessage(alice, conversation, '@bot rain tomorrow?', {
      mentions: ['bot'],
    });
    const question = await received('bot', '@bot rain tomorrow?');
    expect(question.id).toBe(asked.messageId);
    const normalised = normalise(question, { selfUserId: 'bot' });
    if (!('message' in normalised)) throw new Error(`dropped: ${normalised.drop}`);
    const { message } = normalised;

    // The bot answers with clawlink's format.
    const format = buildReplyFormat(
      conversation,
      [message],
      { id: message.senderId, nick: message.senderNick },
      ON,
    );
    await sendMessage(bot, conversation, `${format.textPrefix}No, sunny.`, {
      mentions: format.mentions,
      cloudCustomData: format.cloudCustomData,
    });
    const reply = await received('alice', `${format.textPrefix}No, sunny.`);
    expect(reply.cloudCustomData).toBe(format.cloudCustomData);
    expect(reply.atUserList).toEqual(['alice']);

    // Alice's side sees a quote of her own message, as TUIKit would show it.
    const asAlice = normalise(reply, {
      selfUserId: 'alice',
      isOwnMessageId: (id) => id === asked.messageId,
    });
    expect(asAlice).toMatchObject({
      message: {
        quote: { messageId: asked.messageId, sender: 'alice' },
        quotesSelf: true,
        answers: [asked.messageId],
      },
    });

    // Alice quote-replies to the bot's message (TUIKit's shape): the bot sees a quote of itself.
    const quoteBack = buildReplyFormat(
      conversation,
      [{ id: reply.id, time: reply.time, seq: reply.seq, text: reply.text ?? '', content: 'text' }],
      { id: 'bot', nick: '' },
      { ...ON, mentionSender: false },
    );
    await sendMessage(alice, conversation, 'and the day after?', {
      cloudCustomData: quoteBack.cloudCustomData,
    });
    const followUp = normalise(await received('bot', 'and the day after?'), {
      selfUserId: 'bot',
    });
    expect(followUp).toMatchObject({
      message: { quote: { messageId: reply.id }, quotesSelf: true },
    });
  });
});
