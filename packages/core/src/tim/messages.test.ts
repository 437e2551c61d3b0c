import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationRef } from '../conversation/conversation-ref.js';
import { getChannel } from './channels.js';
import { fetchHistory, markConversationRead, sendMessage } from './messages.js';
import { failure, waitUntil } from './test-support.js';
import { createTimClient, type TimClient, type TimMessage } from './tim-client.js';

const SDK_APP_ID = 1400000003;
let emulator: Emulator;
let alice: TimClient;
let bob: TimClient;
const inbox: Record<'alice' | 'bob', TimMessage[]> = { alice: [], bob: [] };

async function connect(userId: 'alice' | 'bob'): Promise<TimClient> {
  emulator.createUser(userId);
  const client = createTimClient({ sdkAppId: SDK_APP_ID, server: emulator.wsUrl });
  client.on('message', (message) => inbox[userId].push(message));
  await client.login({ userId, userSig: emulator.userSig(userId) });
  return client;
}

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: 'messages-test-secret' });
  [alice, bob] = await Promise.all([connect('alice'), connect('bob')]);
});
afterAll(async () => {
  await Promise.all([alice?.destroy(), bob?.destroy()]);
  await emulator?.close();
});

/** A group both users are in (the SDK learns about it at login or through the join). */
async function sharedGroup(name: string): Promise<string> {
  const { groupId } = emulator.createGroup({ name, owner: 'alice', members: ['alice', 'bob'] });
  // Reading the profile makes each SDK know the group, as TIM's "added to group" notice would;
  // pushes for a group the SDK does not know are held back while it looks the group up.
  await Promise.all([getChannel(alice, groupId), getChannel(bob, groupId)]);
  return groupId;
}

async function received(
  user: 'alice' | 'bob',
  predicate: (m: TimMessage) => boolean,
): Promise<TimMessage> {
  await waitUntil(() => inbox[user].some(predicate), 10_000, `a message for ${user}`);
  return inbox[user].find(predicate) as TimMessage;
}

describe('messages', () => {
  it('sends a group @-message that the other user receives with its mentions', async () => {
    const groupId = await sharedGroup('mentions');
    const sent = await sendMessage(
      alice,
      { type: 'group', id: groupId },
      '@bob what is the weather?',
      {
        mentions: ['bob'],
        cloudCustomData: '{"k":1}',
      },
    );
    expect(sent.messageId).not.toBe('');
    expect(sent.seq).toBeGreaterThan(0);
    expect(sent.time).toBeGreaterThan(Date.now() - 60_000);
    const message = await received('bob', (m) => m.text === '@bob what is the weather?');
    expect(message).toMatchObject({
      conversation: { type: 'group', id: groupId },
      from: 'alice',
      kind: 'text',
      atUserList: ['bob'],
      atAll: false,
      cloudCustomData: '{"k":1}',
      seq: sent.seq,
    });

    await sendMessage(alice, { type: 'group', id: groupId }, 'everyone!', { mentionAll: true });
    expect((await received('bob', (m) => m.text === 'everyone!')).atAll).toBe(true);
  });

  it('sends custom data to a channel, the same way as to a user', async () => {
    const groupId = await sharedGroup('custom');
    await sendMessage(alice, { type: 'group', id: groupId }, { custom: { data: '{"n":1}' } });
    const message = await received(
      'bob',
      (m) => m.kind === 'custom' && m.conversation.id === groupId,
    );
    expect(message).toMatchObject({
      conversation: { type: 'group', id: groupId },
      custom: { data: '{"n":1}', description: '', extension: '' },
    });
  });

  it('sends direct text and custom messages both ways', async () => {
    await sendMessage(alice, { type: 'c2c', id: 'bob' }, 'hi bob');
    expect(await received('bob', (m) => m.text === 'hi bob')).toMatchObject({
      conversation: { type: 'c2c', id: 'alice' },
      from: 'alice',
      kind: 'text',
    });
    await sendMessage(
      bob,
      { type: 'c2c', id: 'alice' },
      {
        custom: { data: '{"type":"clawlink.request"}', description: 'req' },
      },
    );
    const custom = await received('alice', (m) => m.kind === 'custom');
    expect(custom).toMatchObject({ conversation: { type: 'c2c', id: 'bob' }, from: 'bob' });
    expect(custom.custom).toEqual({
      data: '{"type":"clawlink.request"}',
      description: 'req',
      extension: '',
    });
  });

  it('sends an online direct message that is received and never stored; refuses one to a channel', async () => {
    await sendMessage(
      alice,
      { type: 'c2c', id: 'bob' },
      { custom: { data: 'now only' } },
      {
        onlineOnly: true,
      },
    );
    expect((await received('bob', (m) => m.custom?.data === 'now only')).from).toBe('alice');
    expect(JSON.stringify(emulator.c2cHistory('alice', 'bob'))).not.toContain('now only');
    const groupId = await sharedGroup('online');
    const refused = await failure(
      sendMessage(alice, { type: 'group', id: groupId }, 'x', { onlineOnly: true }),
    );
    expect(refused).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(refused.message).toMatch(/onlineOnly is for one-to-one/);
  });

  it('reports a direct chat read: the sender sees its message read; refuses a bad conversation', async () => {
    const sent = await sendMessage(bob, { type: 'c2c', id: 'alice' }, 'did you read this?');
    await received('alice', (m) => m.text === 'did you read this?');
    const readByPeer = new Promise<string[]>((resolve) =>
      bob.call('watch', (tim) =>
        tim.on('onMessageReadByPeer', (event) =>
          resolve((event.data as Array<{ ID: string }>).map((m) => m.ID)),
        ),
      ),
    );
    await markConversationRead(alice, { type: 'c2c', id: 'bob' });
    expect(await readByPeer).toContain(sent.messageId);
    const refused = await failure(
      markConversationRead(alice, { type: 'channel', id: 'x' } as unknown as ConversationRef),
    );
    expect(refused).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it("refuses what TIM would refuse, before sending, and maps TIM's send errors", async () => {
    const groupId = await sharedGroup('limits');
    const before = emulator.groupHistory(groupId).length;
    // 4097 three-byte characters: 12291 bytes, just over 12 KB.
    const tooLarge = await failure(
      sendMessage(alice, { type: 'group', id: groupId }, '€'.repeat(4097)),
    );
    expect(tooLarge).toMatchObject({ code: 'TOO_LARGE', operation: 'sendMessage' });
    expect(tooLarge.message).toMatch(/12291 bytes.*split it/);
    expect(
      (
        await failure(
          sendMessage(alice, { type: 'group', id: groupId }, 'x'.repeat(12_000), {
            cloudCustomData: 'y'.repeat(300),
          }),
        )
      ).code,
    ).toBe('TOO_LARGE');
    expect(
      (
        await failure(
          sendMessage(alice, { type: 'c2c', id: 'bob' }, { custom: { data: 'z'.repeat(12_289) } }),
        )
      ).code,
    ).toBe('TOO_LARGE');
    expect((await failure(sendMessage(alice, { type: 'group', id: groupId }, ''))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await failure(sendMessage(alice, { type: 'group', id: '' }, 'hi'))).code).toBe(
      'INVALID_ARGUMENT',
    );
    // Mentions are for group text; a conversation must be {type, id}.
    expect(
      await failure(sendMessage(alice, { type: 'c2c', id: 'bob' }, 'hi', { mentions: ['bob'] })),
    ).toMatchObject({ code: 'INVALID_ARGUMENT', message: /mentions/ });
    expect(
      (await failure(sendMessage(alice, { type: 'dm', id: 'bob' } as never, 'hi'))).message,
    ).toMatch(/conversation must be/);
    expect(
      (await failure(sendMessage(alice, { type: 'c2c', id: 'u'.repeat(33) }, 'hi'))).code,
    ).toBe('INVALID_ARGUMENT');
    expect(emulator.groupHistory(groupId)).toHaveLength(before);
    // Exactly 12 KB is allowed.
    await sendMessage(alice, { type: 'group', id: groupId }, 'x'.repeat(12 * 1024));

    emulator.injectFault({
      command: 'group_open_http_svc.send_group_msg',
      errorCode: 10023,
      userId: 'alice',
    });
    expect(await failure(sendMessage(alice, { type: 'group', id: groupId }, 'fast'))).toMatchObject(
      {
        code: 'RATE_LIMITED',
        timCode: 10023,
      },
    );
    emulator.injectFault({
      command: 'group_open_http_svc.send_group_msg',
      errorCode: 10010,
      userId: 'alice',
    });
    expect((await failure(sendMessage(alice, { type: 'group', id: groupId }, 'gone'))).code).toBe(
      'CHANNEL_NOT_FOUND',
    );
  });

  it('fetches group history oldest first, before a sequence or a message id', async () => {
    const groupId = await sharedGroup('history');
    const posted = Array.from({ length: 25 }, (_, i) =>
      emulator.postGroupMessage({
        groupId,
        from: i % 2 ? 'bob' : 'alice',
        content: { text: `m${i}` },
      }),
    );
    const last20 = await fetchHistory(bob, { type: 'group', id: groupId });
    expect(last20.map((m) => m.text)).toEqual(
      posted
        .slice(5)
        .map((m) => m.content)
        .map((c) => ('text' in c ? c.text : '')),
    );
    expect(last20.every((m) => m.conversation.id === groupId && m.kind === 'text')).toBe(true);

    const beforeSeq = await fetchHistory(
      bob,
      { type: 'group', id: groupId },
      { before: posted[10]?.seq, count: 4 },
    );
    expect(beforeSeq.map((m) => m.text)).toEqual(['m6', 'm7', 'm8', 'm9']);

    const anchor = last20.find((m) => m.text === 'm20') as TimMessage;
    const beforeId = await fetchHistory(
      alice,
      { type: 'group', id: groupId },
      { before: anchor.id, count: 3 },
    );
    expect(beforeId.map((m) => m.text)).toEqual(['m17', 'm18', 'm19']);
  });

  it('gives a message the same id live and in history', async () => {
    const groupId = await sharedGroup('ids');
    await sendMessage(alice, { type: 'group', id: groupId }, 'same id?');
    const live = await received('bob', (m) => m.text === 'same id?');
    const history = await fetchHistory(bob, { type: 'group', id: groupId }, { count: 5 });
    expect(history.find((m) => m.text === 'same id?')?.id).toBe(live.id);
  });

  it('pages a direct chat back by message id as deep as it goes, resuming at the oldest fetched', async () => {
    emulator.createUser('dave');
    const texts = Array.from({ length: 450 }, (_, i) => `deep${i}`);
    for (const text of texts)
      emulator.postC2CMessage({ from: 'dave', to: 'bob', content: { text } });
    await received('bob', (m) => m.text === 'deep449');
    const dave = { type: 'c2c', id: 'dave' } as const;
    const walked: TimMessage[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await fetchHistory(bob, dave, { count: 100, ...(before ? { before } : {}) });
      if (page.length === 0) break;
      walked.unshift(...page);
      before = page[0]?.id;
    }
    expect(walked.map((m) => m.text)).toEqual(texts);

    // Before another message than the last fetch's oldest: found among the newest 300 (here the
    // very oldest of them), and the walk goes on past them.
    await fetchHistory(bob, dave, { count: 1 });
    const older = await fetchHistory(bob, dave, { before: walked[150]?.id, count: 50 });
    expect(older.map((m) => m.text)).toEqual(texts.slice(100, 150));
    const tooDeep = await failure(fetchHistory(bob, dave, { before: walked[10]?.id, count: 5 }));
    expect(tooDeep.code).toBe('INVALID_ARGUMENT');
  });

  it('fetches direct-chat history and validates its options', async () => {
    for (let i = 0; i < 3; i++) {
      emulator.postC2CMessage({ from: 'alice', to: 'bob', content: { text: `dm${i}` } });
    }
    // The SDK serves direct chats from its live-synced copy: let the pushes land first.
    await received('bob', (m) => m.text === 'dm2');
    const history = await fetchHistory(bob, { type: 'c2c', id: 'alice' }, { count: 3 });
    expect(history.map((m) => m.text)).toEqual(['dm0', 'dm1', 'dm2']);
    expect(
      history.every((m) => m.conversation.type === 'c2c' && m.conversation.id === 'alice'),
    ).toBe(true);
    const older = await fetchHistory(
      bob,
      { type: 'c2c', id: 'alice' },
      { before: history[2]?.id, count: 2 },
    );
    expect(older.map((m) => m.text)).toEqual(['dm0', 'dm1']);

    expect(
      (await failure(fetchHistory(bob, { type: 'c2c', id: 'alice' }, { count: 0 }))).code,
    ).toBe('INVALID_ARGUMENT');
    expect(
      (await failure(fetchHistory(bob, { type: 'c2c', id: 'alice' }, { count: 101 }))).code,
    ).toBe('INVALID_ARGUMENT');
    expect(
      (await failure(fetchHistory(bob, { type: 'c2c', id: 'alice' }, { before: 5 }))).code,
    ).toBe('INVALID_ARGUMENT');
    expect((await failure(fetchHistory(bob, { type: 'group', id: '' }))).code).toBe(
      'INVALID_ARGUMENT',
    );
  });
});
