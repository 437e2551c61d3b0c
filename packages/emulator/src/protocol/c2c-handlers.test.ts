import type { Message } from 'tim-js-sdk';
import { expect, test } from 'vitest';
import { useEmulator } from '../test-support/fixture.js';

const fx = useEmulator();

test('C2C history pages through getroammsg (LastMsgTime/MsgKey) oldest first', async () => {
  const emu = await fx.start();
  emu.createUser('alice');
  emu.createUser('bob');
  for (let i = 1; i <= 20; i += 1) {
    const [from, to] = i % 2 === 0 ? ['alice', 'bob'] : ['bob', 'alice'];
    emu.postC2CMessage({
      from,
      to,
      content: { text: `m${i}` },
      cloudCustomData: `cc${i}`,
    });
  }
  const alice = await fx.login(emu, 'alice');
  const first = await alice.tim.getMessageList({ conversationID: 'C2Cbob' });
  const page1 = first.data.messageList as Message[];
  expect(first.data.isCompleted).toBe(false);
  expect(page1.map((m) => m.payload?.text)).toEqual(
    Array.from({ length: 15 }, (_, i) => `m${i + 6}`),
  );
  expect(page1[0]).toMatchObject({ from: 'alice', flow: 'out', cloudCustomData: 'cc6' });
  expect(page1[1]).toMatchObject({ from: 'bob', flow: 'in', cloudCustomData: 'cc7' });
  const second = await alice.tim.getMessageList({
    conversationID: 'C2Cbob',
    nextReqMessageID: first.data.nextReqMessageID,
  });
  expect(second.data.isCompleted).toBe(true);
  expect((second.data.messageList as Message[]).map((m) => m.payload?.text)).toEqual([
    'm1',
    'm2',
    'm3',
    'm4',
    'm5',
  ]);
});

test("C2C to an unknown user is refused with 20003; a message is pushed to the sender's other session", async () => {
  const emu = await fx.start();
  const alice = await fx.login(emu, 'alice');
  await fx.login(emu, 'bob');
  const toNobody = alice.tim.createTextMessage({
    to: 'nobody',
    conversationType: alice.sdk.TYPES.CONV_C2C,
    payload: { text: 'hello?' },
  });
  await expect(alice.tim.sendMessage(toNobody)).rejects.toMatchObject({ code: 20003 });

  // The admin API posts as alice: every alice session (here the only one) gets the copy.
  emu.postC2CMessage({ from: 'alice', to: 'bob', content: { text: 'from elsewhere' } });
  const copy = await alice.waitFor('MESSAGE_RECEIVED', (data) =>
    JSON.stringify(data).includes('from elsewhere'),
  );
  expect((copy as Message[])[0]).toMatchObject({ conversationID: 'C2Cbob', flow: 'out' });
});

test('an online C2C message (onlineUserOnly) reaches who is online now and is never stored', async () => {
  const emu = await fx.start();
  emu.createUser('carol');
  const alice = await fx.login(emu, 'alice');
  const bob = await fx.login(emu, 'bob');
  const online = (to: string, text: string) =>
    alice.tim.sendMessage(
      alice.tim.createCustomMessage({
        to,
        conversationType: alice.sdk.TYPES.CONV_C2C,
        payload: { data: text, description: '', extension: '' },
      }),
      { onlineUserOnly: true },
    );
  await online('bob', 'typing');
  const seen = await bob.waitFor('MESSAGE_RECEIVED', (data) =>
    JSON.stringify(data).includes('typing'),
  );
  expect((seen as Message[])[0]).toMatchObject({ from: 'alice', payload: { data: 'typing' } });
  // Sent to carol while she is away: nothing waits for her.
  await online('carol', 'while away');
  expect(emu.c2cHistory('alice', 'bob')).toEqual([]);
  expect(emu.c2cHistory('alice', 'carol')).toEqual([]);
  // Neither in the SDK's own list of the chat (it keeps online messages out) nor in history.
  const list = await bob.tim.getMessageList({ conversationID: 'C2Calice' });
  expect(list.data.messageList).toEqual([]);
  const carol = await fx.login(emu, 'carol');
  const carolList = await carol.tim.getMessageList({ conversationID: 'C2Calice' });
  expect(carolList.data.messageList).toEqual([]);
  // A stored message after it still is.
  emu.postC2CMessage({ from: 'alice', to: 'bob', content: { text: 'stored' } });
  expect(emu.c2cHistory('alice', 'bob').map((m) => m.content)).toEqual([{ text: 'stored' }]);
});

test('a C2C read report reaches the peer as a read receipt: its sent messages are read by the peer', async () => {
  const emu = await fx.start();
  const alice = await fx.login(emu, 'alice');
  const bob = await fx.login(emu, 'bob');
  const sent = await bob.tim.sendMessage(
    bob.tim.createTextMessage({
      to: 'alice',
      conversationType: bob.sdk.TYPES.CONV_C2C,
      payload: { text: 'read me' },
    }),
  );
  await alice.waitFor('MESSAGE_RECEIVED', (data) => JSON.stringify(data).includes('read me'));
  const readByPeer = bob.waitFor('MESSAGE_READ_BY_PEER');
  await alice.tim.setMessageRead({ conversationID: 'C2Cbob' });
  const read = (await readByPeer) as Message[];
  expect(read.map((m) => m.ID)).toEqual([sent.data.message.ID]);
  expect(read[0]?.isPeerRead).toBe(true);
  // A session that logs in later asks until when alice read (get_peer_read_time).
  const later = await fx.login(emu, 'bob');
  const list = await later.tim.getMessageList({ conversationID: 'C2Calice' });
  const history = list.data.messageList as Message[];
  // The SDK marks the messages it returned once the answer is in (it may come after them).
  for (let i = 0; i < 100 && history[0]?.isPeerRead !== true; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(history.map((m) => [m.payload?.text, m.isPeerRead])).toEqual([['read me', true]]);
});
