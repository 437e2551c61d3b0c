import { expect, test } from 'vitest';
import { useEmulator } from '../test-support/fixture.js';
import { useRawSockets } from '../test-support/raw-socket.js';
import { sendC2C } from '../test-support/sdk-client.js';

const fx = useEmulator();
const rawSocket = useRawSockets();

const kickType = (data: unknown) => (data as { type?: string } | undefined)?.type;

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test('a second login of the same user kicks the first (multipleAccount)', async () => {
  const emu = await fx.start();
  const first = await fx.login(emu, 'alice');
  const second = await fx.login(emu, 'alice');
  expect(kickType(await first.waitFor('KICKED_OUT'))).toBe(first.sdk.TYPES.KICKED_OUT_MULT_ACCOUNT);
  await first.waitFor('SDK_NOT_READY');
  const bob = await fx.login(emu, 'bob');
  await sendC2C(bob, 'alice', 'to the new session');
  await second.waitFor('MESSAGE_RECEIVED', (d) => JSON.stringify(d).includes('new session'));
  expect(emu.onlineUsers().sort()).toEqual(['alice', 'bob']);
});

test('kick(userId) signs every session out with the REST API kick type', async () => {
  const emu = await fx.start();
  const bob = await fx.login(emu, 'bob');
  emu.kick('bob');
  expect(kickType(await bob.waitFor('KICKED_OUT'))).toBe(bob.sdk.TYPES.KICKED_OUT_REST_API);
  expect(emu.onlineUsers()).toEqual([]);
});

test('expireUserSig: the live session is kicked as userSigExpired; old sigs 70001, new ones work', async () => {
  const emu = await fx.start();
  const oldSig = emu.userSig('alice');
  const alice = await fx.login(emu, 'alice', { userSig: oldSig });
  emu.expireUserSig('alice');
  // Any request now gets 70001 (the SDK's own heartbeat would, after ~10 s idle).
  await alice.tim.getUserProfile({ userIDList: ['alice'] }).catch(() => {});
  expect(kickType(await alice.waitFor('KICKED_OUT'))).toBe(
    alice.sdk.TYPES.KICKED_OUT_USERSIG_EXPIRED,
  );
  await expect(fx.login(emu, 'alice', { userSig: oldSig })).rejects.toMatchObject({
    code: 70001,
  });
  const again = await fx.login(emu, 'alice', { userSig: emu.userSig('alice') });
  expect(again.events.some((e) => e.name === 'SDK_READY')).toBe(true);
});

test('dropConnections: the SDK reconnects with its A2 key, syncs missed C2C, still receives', async () => {
  const emu = await fx.start();
  const alice = await fx.login(emu, 'alice');
  const bob = await fx.login(emu, 'bob');
  const created = await alice.tim.createGroup({ type: alice.sdk.TYPES.GRP_PUBLIC, name: 'room' });
  const groupId: string = created.data.group.groupID;
  await bob.tim.joinGroup({ groupID: groupId });
  const before = bob.events.length;
  expect(emu.loginCount('bob')).toBe(1);
  emu.dropConnections('bob');
  await until(() => !emu.onlineUsers().includes('bob'), 'bob to drop');
  // Same tick as the check: bob is offline, so these wait for his openim.getmsg.
  expect(emu.onlineUsers()).toEqual(['alice']);
  emu.postC2CMessage({ from: 'alice', to: 'bob', content: { text: 'missed c2c' } });
  emu.postGroupMessage({ groupId, from: 'alice', content: { text: 'missed group' } });
  await until(() => emu.onlineUsers().includes('bob'), 'bob to reconnect');
  const received = (text: string) => (d: unknown) => JSON.stringify(d).includes(text);
  // The missed C2C message comes through openim.getmsg (TIM's offline sync)...
  await bob.waitFor('MESSAGE_RECEIVED', received('missed c2c'));
  // A reconnect resumes the session with the A2 key: not a new UserSig login.
  expect(emu.loginCount('bob')).toBe(1);
  await sendC2C(alice, 'bob', 'after the drop');
  await bob.waitFor('MESSAGE_RECEIVED', received('after the drop'));
  const after = bob.events.slice(before);
  expect(after.filter((e) => e.name === 'KICKED_OUT')).toEqual([]);
  // Each message is emitted once.
  const texts = after
    .filter((e) => e.name === 'MESSAGE_RECEIVED')
    .flatMap((e) => (e.data as { payload?: { text?: string } }[]).map((m) => m.payload?.text));
  // ...the missed group message is not replayed (as with TIM): it is in the group history.
  expect(texts.sort()).toEqual(['after the drop', 'missed c2c']);
  const history = await bob.tim.getMessageList({ conversationID: `GROUP${groupId}` });
  expect(JSON.stringify(history.data.messageList)).toContain('missed group');
  expect(fx.logs.filter((l) => l.startsWith('unknown servcmd'))).toEqual([]);
});

test('expireUserSig and userSig() in the same second: old sigs refused, the new one accepted', async () => {
  const frozen = Date.now();
  const emu = await fx.start({ now: () => frozen });
  const oldSig = emu.userSig('alice');
  await fx.login(emu, 'alice', { userSig: oldSig });
  emu.expireUserSig('alice');
  const newSig = emu.userSig('alice');
  await expect(fx.login(emu, 'alice', { userSig: oldSig })).rejects.toMatchObject({ code: 70001 });
  const again = await fx.login(emu, 'alice', { userSig: newSig });
  expect(again.events.some((e) => e.name === 'SDK_READY')).toBe(true);
});

test('a login whose sdkappid is not a number is refused with 70014; a numeric string is read', async () => {
  const emu = await fx.start();
  const raw = await rawSocket(`${emu.wsUrl}/binfo?instanceid=raw-app`);
  const login = (sdkappid: unknown) =>
    raw.request(
      'im_open_status.wslogin',
      {},
      { identifier: 'alice', usersig: emu.userSig('alice'), sdkappid },
    );
  for (const bad of ['abc', '', {}, true, '1400000001x']) {
    expect(await login(bad)).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 70014 });
  }
  expect(emu.onlineUsers()).toEqual([]);
  expect(await login(String(emu.sdkAppId))).toMatchObject({ ActionStatus: 'OK' });
});
