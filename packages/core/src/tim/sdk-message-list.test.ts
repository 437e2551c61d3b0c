import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../runtime/manual-clock.js';
import { createRecordingLogger } from '../testing/recording-logger.js';
import { getChannel } from './channels.js';
import { editMessageText } from './message-modification.js';
import { fetchHistory, sendMessage } from './messages.js';
import { PAGING_HOLD_MS, SDK_MESSAGE_LIST_LIMIT, sdkMessageListsOf } from './sdk-message-list.js';
import { waitUntil } from './test-support.js';
import { createTimClient, type TimClient, type TimMessage } from './tim-client.js';

const SDK_APP_ID = 1400000012;
/** Messages pushed per conversation: far more than the SDK keeps. */
const PUSHED = 500;
let emulator: Emulator;
const clients: TimClient[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: 'message-list-test-secret' });
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.destroy()));
  await emulator?.close();
});

let nextUser = 0;
async function connect(prefix: string, clock = manualClock()) {
  const userId = `${prefix}${++nextUser}`;
  emulator.createUser(userId);
  const client = createTimClient({ sdkAppId: SDK_APP_ID, server: emulator.wsUrl, clock });
  clients.push(client);
  await client.login({ userId, userSig: emulator.userSig(userId) });
  const inbox: TimMessage[] = [];
  client.on('message', (message) => inbox.push(message));
  return { userId, client, inbox, clock };
}

/** How many messages the SDK holds per conversation, read from its own list. */
function sdkListSizes(client: TimClient): Promise<Map<string, number>> {
  return client.call('inspect', async (tim) => {
    const lists = sdkMessageListsOf(tim);
    if (!lists) throw new Error('the SDK message lists are not bounded');
    return lists.sizes();
  });
}

function texts(messages: Array<{ text?: string }>): Array<string | undefined> {
  return messages.map((message) => message.text);
}

describe('the SDK message lists', () => {
  it(`keep at most ${SDK_MESSAGE_LIST_LIMIT} messages per conversation, and every push is delivered once`, async () => {
    const sender = `sender${++nextUser}`;
    emulator.createUser(sender);
    const receiver = await connect('receiver');
    const { groupId } = emulator.createGroup({
      name: 'busy',
      owner: sender,
      members: [sender, receiver.userId],
    });
    await getChannel(receiver.client, groupId);
    for (let i = 0; i < PUSHED; i++) {
      emulator.postGroupMessage({ groupId, from: sender, content: { text: `group ${i}` } });
      emulator.postC2CMessage({ from: sender, to: receiver.userId, content: { text: `c2c ${i}` } });
    }
    await waitUntil(() => receiver.inbox.length >= 2 * PUSHED, 60_000, 'every push');

    const sizes = await sdkListSizes(receiver.client);
    expect(sizes.get(`GROUP${groupId}`)).toBe(SDK_MESSAGE_LIST_LIMIT);
    expect(sizes.get(`C2C${sender}`)).toBe(SDK_MESSAGE_LIST_LIMIT);
    // Exactly once each, in order per conversation.
    const sent = Array.from({ length: PUSHED }, (_, i) => i);
    const inGroup = receiver.inbox.filter((m) => m.conversation.type === 'group');
    const direct = receiver.inbox.filter((m) => m.conversation.type === 'c2c');
    expect(texts(inGroup)).toEqual(sent.map((i) => `group ${i}`));
    expect(texts(direct)).toEqual(sent.map((i) => `c2c ${i}`));
    expect(new Set(receiver.inbox.map((m) => m.id)).size).toBe(2 * PUSHED);
  });

  it('still page a direct chat back past the bound, then bound it again', async () => {
    const peer = `peer${++nextUser}`;
    emulator.createUser(peer);
    const receiver = await connect('pager');
    for (let i = 0; i < PUSHED; i++)
      emulator.postC2CMessage({ from: peer, to: receiver.userId, content: { text: `dm ${i}` } });
    await waitUntil(() => receiver.inbox.length >= PUSHED, 60_000, 'every push');
    const conversationID = `C2C${peer}`;
    expect((await sdkListSizes(receiver.client)).get(conversationID)).toBe(SDK_MESSAGE_LIST_LIMIT);

    const chat = { type: 'c2c', id: peer } as const;
    const newest = await fetchHistory(receiver.client, chat, { count: 100 });
    expect(texts(newest)).toEqual(texts(receiver.inbox.slice(-100)));
    const older = await fetchHistory(receiver.client, chat, { count: 100, before: newest[0]?.id });
    expect(texts(older)).toEqual(texts(receiver.inbox.slice(-200, -100)));
    const ids = [...older, ...newest].map((m) => m.id);
    expect(ids).toEqual(receiver.inbox.slice(-200).map((m) => m.id));

    // Paging filled the SDK's list; it is left alone while paged, then trimmed again.
    expect((await sdkListSizes(receiver.client)).get(conversationID)).toBeGreaterThan(150);
    emulator.postC2CMessage({ from: peer, to: receiver.userId, content: { text: 'held' } });
    await waitUntil(() => receiver.inbox.at(-1)?.text === 'held', 10_000, 'the held push');
    expect((await sdkListSizes(receiver.client)).get(conversationID)).toBeGreaterThan(150);
    receiver.clock.advance(PAGING_HOLD_MS);
    emulator.postC2CMessage({ from: peer, to: receiver.userId, content: { text: 'trimmed' } });
    await waitUntil(() => receiver.inbox.at(-1)?.text === 'trimmed', 10_000, 'the next push');
    expect((await sdkListSizes(receiver.client)).get(conversationID)).toBe(SDK_MESSAGE_LIST_LIMIT);

    // After the trim, history starts over from the newest and pages back as before.
    const again = await fetchHistory(receiver.client, chat, { count: 60 });
    expect(texts(again)).toEqual(texts(receiver.inbox.slice(-60)));
    const before = await fetchHistory(receiver.client, chat, { count: 30, before: again[0]?.id });
    expect(texts(before)).toEqual(texts(receiver.inbox.slice(-90, -60)));
  });

  it('page a direct chat correctly while pushes keep arriving', async () => {
    const peer = `busy${++nextUser}`;
    emulator.createUser(peer);
    const receiver = await connect('reader');
    const post = (text: string) =>
      emulator.postC2CMessage({ from: peer, to: receiver.userId, content: { text } });
    for (let i = 0; i < 200; i++) post(`early ${i}`);
    await waitUntil(() => receiver.inbox.length >= 200, 30_000, 'the early pushes');
    const chat = { type: 'c2c', id: peer } as const;
    // Pushes land while the SDK fetches older pages from TIM.
    let late = 0;
    const pusher = setInterval(() => post(`late ${late++}`), 1);
    const pages = await Promise.all([
      fetchHistory(receiver.client, chat, { count: 100 }),
      fetchHistory(receiver.client, chat, { count: 100 }),
    ]).finally(() => clearInterval(pusher));
    await waitUntil(() => receiver.inbox.length >= 200 + late, 30_000, 'the late pushes');
    const order = receiver.inbox.map((m) => m.id);
    for (const page of pages) {
      expect(page).toHaveLength(100);
      const start = order.indexOf(page[0]?.id ?? '');
      expect(page.map((m) => m.id)).toEqual(order.slice(start, start + 100));
    }
  });

  it('leave group history as it was: read from TIM by sequence', async () => {
    const sender = `gsender${++nextUser}`;
    emulator.createUser(sender);
    const receiver = await connect('greader');
    const { groupId } = emulator.createGroup({
      name: 'history',
      owner: sender,
      members: [sender, receiver.userId],
    });
    await getChannel(receiver.client, groupId);
    for (let i = 0; i < 120; i++)
      emulator.postGroupMessage({ groupId, from: sender, content: { text: `g ${i}` } });
    await waitUntil(() => receiver.inbox.length >= 120, 30_000, 'every push');
    const channel = { type: 'group', id: groupId } as const;
    const newest = await fetchHistory(receiver.client, channel, { count: 100 });
    expect(texts(newest)).toEqual(texts(receiver.inbox.slice(-100)));
    const older = await fetchHistory(receiver.client, channel, {
      count: 20,
      before: newest[0]?.seq,
    });
    expect(texts(older)).toEqual(texts(receiver.inbox.slice(0, 20)));
  });

  it('keep an own message editable after it left the list', async () => {
    const author = await connect('author');
    const reader = await connect('reader');
    const { groupId } = emulator.createGroup({
      name: 'stream',
      owner: author.userId,
      members: [author.userId, reader.userId],
    });
    await Promise.all([getChannel(author.client, groupId), getChannel(reader.client, groupId)]);
    const channel = { type: 'group', id: groupId } as const;
    const reply = await sendMessage(author.client, channel, 'Thinking');
    for (let i = 0; i < 3 * SDK_MESSAGE_LIST_LIMIT; i++)
      emulator.postGroupMessage({ groupId, from: reader.userId, content: { text: `chat ${i}` } });
    await waitUntil(
      () =>
        author.inbox.filter((m) => m.text?.startsWith('chat ')).length >=
        3 * SDK_MESSAGE_LIST_LIMIT,
      30_000,
      'the chatter',
    );
    expect((await sdkListSizes(author.client)).get(`GROUP${groupId}`)).toBe(SDK_MESSAGE_LIST_LIMIT);

    expect(await editMessageText(author.client, reply, 'Thinking about it')).toMatchObject({
      version: 1,
    });
    expect(await editMessageText(author.client, reply, 'Thinking about it: 42.')).toMatchObject({
      version: 2,
    });
    expect(emulator.groupHistory(groupId).find((m) => m.seq === reply.seq)?.content).toEqual({
      text: 'Thinking about it: 42.',
    });
  });
});

// The loader's other patch (sdk-loader.ts): the level is in force before TIM.create logs.
describe('the SDK copy of a client', () => {
  it('formats no log line at the default level, TIM.create and login included', async () => {
    const userId = `quiet${++nextUser}`;
    emulator.createUser(userId);
    const logger = createRecordingLogger();
    const client = createTimClient({ sdkAppId: SDK_APP_ID, server: emulator.wsUrl, logger });
    clients.push(client);
    await client.login({ userId, userSig: emulator.userSig(userId) });
    expect(logger.lines.filter((line) => line.obj && 'sdkLevel' in line.obj)).toEqual([]);
  });
});
