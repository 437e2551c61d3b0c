import type { Conversation } from 'tim-js-sdk';
import { expect, test } from 'vitest';
import type { EmulatorInternals } from '../emulator-internals.js';
import { useEmulator } from '../test-support/fixture.js';
import { type SdkPackage, sendC2C, type TestClient } from '../test-support/sdk-client.js';

const fx = useEmulator();

async function conversations(client: TestClient): Promise<Conversation[]> {
  return (await client.tim.getConversationList()).data.conversationList as Conversation[];
}

/**
 * Logs `userId` in and resolves once its SDK's conversation list (`CONVERSATION_LIST_UPDATED`)
 * satisfies `done`: the list comes from `page_get`, the C2C unread counts from `openim.getmsg`.
 */
async function loginUntilConversations(
  emu: EmulatorInternals,
  userId: string,
  pkg: SdkPackage,
  done: (list: Conversation[]) => boolean,
): Promise<TestClient> {
  const client = await fx.login(emu, userId, { pkg, ready: false });
  const settled = new Promise<void>((resolve) => {
    client.tim.on(client.sdk.EVENT.CONVERSATION_LIST_UPDATED, (event: { data: Conversation[] }) => {
      if (done(event.data)) resolve();
    });
  });
  await client.tim.login({ userID: userId, userSig: emu.userSig(userId) });
  await Promise.all([client.waitFor('SDK_READY'), settled]);
  return client;
}

test.each(['tim-js-sdk', '@tencentcloud/chat'] as const)(
  '(%s) a C2C message sent while bob was offline is in his conversation list with unread 1',
  async (pkg) => {
    const emu = await fx.start();
    emu.createUser('bob');
    const carol = await fx.login(emu, 'carol', { pkg });
    await sendC2C(carol, 'bob', 'are you there?');
    await carol.destroy();

    const bob = await loginUntilConversations(emu, 'bob', pkg, (list) =>
      list.some((c) => c.conversationID === 'C2Ccarol' && c.unreadCount > 0),
    );
    const list = await conversations(bob);
    expect(list.map((c) => c.conversationID)).toEqual(['C2Ccarol']);
    expect(list[0]).toMatchObject({
      type: 'C2C',
      unreadCount: 1,
      lastMessage: { fromAccount: 'carol', payload: { text: 'are you there?' } },
    });
  },
);

test('groups with messages are listed with their unread count; read reports persist', async () => {
  const emu = await fx.start();
  emu.createUser('alice');
  emu.createUser('bob');
  const { groupId } = emu.createGroup({ name: 'room', owner: 'alice', members: ['bob'] });
  const quiet = emu.createGroup({ name: 'quiet', owner: 'alice', members: ['bob'] });
  emu.postGroupMessage({ groupId, from: 'alice', content: { text: 'one' } });
  emu.postGroupMessage({ groupId, from: 'alice', content: { text: 'two' } });
  emu.postC2CMessage({ from: 'alice', to: 'bob', content: { text: 'older' } });

  const bob = await fx.login(emu, 'bob');
  const list = await conversations(bob);
  const ids = list.map((c) => c.conversationID);
  expect(ids).toContain(`GROUP${groupId}`);
  expect(ids).toContain('C2Calice');
  expect(ids).not.toContain(`GROUP${quiet.groupId}`);
  expect(list.find((c) => c.conversationID === `GROUP${groupId}`)).toMatchObject({
    unreadCount: 2,
    lastMessage: { fromAccount: 'alice', payload: { text: 'two' } },
  });

  // The SDK reports a group read only for a group it has loaded.
  await bob.tim.getGroupList({ groupProfileFilter: [] });
  await bob.tim.setMessageRead({ conversationID: `GROUP${groupId}` });
  await bob.tim.setMessageRead({ conversationID: 'C2Calice' });
  await bob.destroy();
  const again = await loginUntilConversations(
    emu,
    'bob',
    'tim-js-sdk',
    (list) => list.length === 2,
  );
  const reread = await conversations(again);
  expect(reread.find((c) => c.conversationID === `GROUP${groupId}`)?.unreadCount).toBe(0);
  expect(reread.find((c) => c.conversationID === 'C2Calice')?.unreadCount).toBe(0);
});

test('the conversation list pages through page_get (CompleteFlag 0 until the last page)', async () => {
  const emu = await fx.start();
  emu.createUser('bob');
  const peers = Array.from({ length: 105 }, (_, i) => `peer${i}`);
  for (const peer of peers) {
    emu.createUser(peer);
    emu.postC2CMessage({ from: peer, to: 'bob', content: { text: `from ${peer}` } });
  }
  const bob = await fx.login(emu, 'bob');
  const list = await conversations(bob);
  expect(new Set(list.map((c) => c.conversationID))).toEqual(new Set(peers.map((p) => `C2C${p}`)));
});
