import { expect, test } from 'vitest';
import { MSG_PUSH } from './delivery.js';
import { useEmulator } from './test-support/fixture.js';
import { type RawSocket, rawLogin, useRawSockets } from './test-support/raw-socket.js';

const fx = useEmulator();
const rawSocket = useRawSockets();

const pushes = (raw: RawSocket) => raw.frames.filter((f) => f.frame.head.servcmd === MSG_PUSH);

/** Resolves once every push the emulator sent `raw` before this call has arrived. */
const settled = (raw: RawSocket) => raw.request('heartbeat.alive');

async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('a group message reaches every online member once, and no kicked or closed session', async () => {
  const emu = await fx.start();
  const count = 30;
  const members = Array.from({ length: count }, (_, i) => `member${i}`);
  emu.createUser('owner');
  for (const userId of members) emu.createUser(userId);
  const { groupId } = emu.createGroup({ name: 'fan-out', owner: 'owner', members });
  // Binary and text sockets alike (`/binfo` and `/info`).
  const sockets = new Map<string, RawSocket>();
  const a2s = new Map<string, string>();
  for (const [i, userId] of members.entries()) {
    const raw = await rawSocket(`${emu.wsUrl}/${i % 2 ? 'info' : 'binfo'}?instanceid=${userId}`);
    a2s.set(userId, await rawLogin(raw, emu, userId));
    sockets.set(userId, raw);
  }
  // member0 logs in again elsewhere: its first session is kicked, the new one is online.
  const replaced = sockets.get('member0') as RawSocket;
  const replacing = await rawSocket(`${emu.wsUrl}/binfo?instanceid=member0-again`);
  await rawLogin(replacing, emu, 'member0');
  await waitFor(
    () => replaced.frames.some((f) => f.frame.head.servcmd === 'im_open_status.stat_forceoffline'),
    'the kick of the first member0 session',
  );
  // member1 is kicked by an admin; member2's socket closes (its session stays, without one).
  emu.kick('member1');
  const closed = sockets.get('member2') as RawSocket;
  closed.socket.terminate();
  await waitFor(() => !emu.onlineUsers().includes('member2'), 'the closed socket');

  emu.postGroupMessage({ groupId, from: 'owner', content: { text: 'to all' } });
  const online = [replacing, ...members.slice(3).map((userId) => sockets.get(userId) as RawSocket)];
  await Promise.all(online.map(settled));
  for (const raw of online) {
    expect(pushes(raw)).toHaveLength(1);
    expect(pushes(raw)[0]?.frame.body).toMatchObject({
      EventArray: [{ Event: 3, GroupMsgArray: [{ From_Account: 'owner', ToGroupId: groupId }] }],
    });
  }
  // Each push has a seq of its own; the body is the same for all.
  const seqs = online.map((raw) => pushes(raw)[0]?.frame.head.seq);
  expect(new Set(seqs).size).toBe(online.length);
  const bodies = online.map((raw) => JSON.stringify(pushes(raw)[0]?.frame.body));
  expect(new Set(bodies).size).toBe(1);
  for (const userId of ['member0', 'member1']) {
    const raw = userId === 'member0' ? replaced : (sockets.get(userId) as RawSocket);
    await settled(raw);
    expect(pushes(raw)).toEqual([]);
  }

  // The closed session resumes on a new socket: the message it missed is not replayed (a
  // group's history has it), and the next one reaches it once.
  const resumed = await rawSocket(`${emu.wsUrl}/binfo?instanceid=member2`);
  await resumed.request('im_open_status.wslogin', {}, { a2: a2s.get('member2') });
  await settled(resumed);
  expect(pushes(resumed)).toEqual([]);
  emu.postGroupMessage({ groupId, from: 'owner', content: { text: 'again' } });
  await Promise.all([resumed, ...online].map(settled));
  expect(pushes(resumed)).toHaveLength(1);
  for (const raw of online) expect(pushes(raw)).toHaveLength(2);
});

test('real SDK members of a group each receive a message once', async () => {
  const emu = await fx.start();
  const members = ['sdk0', 'sdk1', 'sdk2', 'sdk3'];
  emu.createUser('owner');
  for (const userId of members) emu.createUser(userId);
  const { groupId } = emu.createGroup({ name: 'sdk fan-out', owner: 'owner', members });
  const clients = await Promise.all(members.map((userId) => fx.login(emu, userId)));
  emu.postGroupMessage({ groupId, from: 'owner', content: { text: 'one' } });
  emu.postGroupMessage({ groupId, from: 'owner', content: { text: 'two' } });
  const texts = (data: unknown) =>
    (data as { payload?: { text?: string } }[]).map((message) => message.payload?.text);
  for (const client of clients) {
    await client.waitFor('MESSAGE_RECEIVED', (data) => texts(data).includes('two'));
    const received = client.events
      .filter((event) => event.name === 'MESSAGE_RECEIVED')
      .flatMap((event) => texts(event.data));
    expect(received).toEqual(['one', 'two']);
  }
});
