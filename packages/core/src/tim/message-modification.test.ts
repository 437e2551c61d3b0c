import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getChannel } from './channels.js';
import { editMessageText } from './message-modification.js';
import { fetchHistory, sendMessage } from './messages.js';
import { failure, waitUntil } from './test-support.js';
import { createTimClient, type TimClient, type TimMessage } from './tim-client.js';

const SDK_APP_ID = 1400000007;
let emulator: Emulator;
let alice: TimClient;
let bob: TimClient;
const bobInbox: TimMessage[] = [];

async function connect(userId: string): Promise<TimClient> {
  emulator.createUser(userId);
  const client = createTimClient({ sdkAppId: SDK_APP_ID, server: emulator.wsUrl });
  await client.login({ userId, userSig: emulator.userSig(userId) });
  return client;
}

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: 'modification-test-secret' });
  [alice, bob] = await Promise.all([connect('alice'), connect('bob')]);
  bob.on('message', (message) => bobInbox.push(message));
});
afterAll(async () => {
  await Promise.all([alice?.destroy(), bob?.destroy()]);
  await emulator?.close();
});

async function sharedGroup(name: string): Promise<string> {
  const { groupId } = emulator.createGroup({ name, owner: 'alice', members: ['alice', 'bob'] });
  await Promise.all([getChannel(alice, groupId), getChannel(bob, groupId)]);
  return groupId;
}

describe('editMessageText', () => {
  it('grows a group reply in place: versions 1 and 2, history returns the final text', async () => {
    const groupId = await sharedGroup('stream');
    const channel = { type: 'group', id: groupId } as const;
    const sent = await sendMessage(alice, channel, 'Thinking');
    expect(await editMessageText(alice, sent, 'Thinking about it')).toEqual({
      messageId: sent.messageId,
      version: 1,
    });
    expect(await editMessageText(alice, sent, 'Thinking about it: 42.')).toMatchObject({
      version: 2,
    });
    expect(emulator.groupHistory(groupId).at(-1)?.content).toEqual({
      text: 'Thinking about it: 42.',
    });
    const history = await fetchHistory(bob, channel, { count: 5 });
    expect(history.at(-1)).toMatchObject({ id: sent.messageId, text: 'Thinking about it: 42.' });
  });

  it('edits a direct message; bob cannot edit it', async () => {
    const sent = await sendMessage(alice, { type: 'c2c', id: 'bob' }, 'draft');
    await waitUntil(() => bobInbox.some((m) => m.id === sent.messageId));
    await editMessageText(alice, sent, 'final', { cloudCustomData: '{"done":true}' });
    expect(emulator.c2cHistory('alice', 'bob').at(-1)).toMatchObject({
      content: { text: 'final' },
      cloudCustomData: '{"done":true}',
    });
    const refused = await failure(editMessageText(bob, sent, 'mine now'));
    expect(refused.code).toBe('PERMISSION_DENIED');
    expect(emulator.c2cHistory('alice', 'bob').at(-1)?.content).toEqual({ text: 'final' });
  });

  it('applies the edit on top of a version made elsewhere (conflict 2480, then retried)', async () => {
    const groupId = await sharedGroup('conflict');
    const sent = await sendMessage(alice, { type: 'group', id: groupId }, 'v0');
    await editMessageText(alice, sent, 'v1');
    // The SDK's copy falls behind, as when another session of alice edited the message.
    await alice.call('test', (tim) => {
      const copy = (tim as unknown as { findMessage(id: string): { version: number } }).findMessage(
        sent.messageId,
      );
      copy.version = 0;
    });
    expect(await editMessageText(alice, sent, 'v2')).toMatchObject({ version: 2 });
    expect(emulator.groupHistory(groupId).at(-1)?.content).toEqual({ text: 'v2' });
  });

  it('refuses unknown messages, empty text and edits over 12 KB before TIM sees them', async () => {
    const unknown = await failure(editMessageText(alice, { messageId: 'nope' }, 'x'));
    expect(unknown.code).toBe('INVALID_ARGUMENT');
    expect(unknown.message).toMatch(/nope.*sent in this session/);
    const sent = await sendMessage(alice, { type: 'c2c', id: 'bob' }, 'short');
    expect((await failure(editMessageText(alice, sent, ''))).code).toBe('INVALID_ARGUMENT');
    const big = await failure(editMessageText(alice, sent, 'x'.repeat(12 * 1024 + 1)));
    expect(big.code).toBe('TOO_LARGE');
    expect(emulator.c2cHistory('alice', 'bob').at(-1)?.content).toEqual({ text: 'short' });
  });
});
