import { afterEach, expect, test } from 'vitest';
import WebSocket from 'ws';
import { useEmulator } from '../test-support/fixture.js';

const fx = useEmulator();
const sockets: WebSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.terminate();
});

interface Frame {
  head: { servcmd: string; seq: number };
  body: Record<string, unknown>;
}

/** A raw socket that collects the frames the emulator sends. */
async function rawSocket(url: string) {
  const socket = new WebSocket(url);
  sockets.push(socket);
  const frames: { frame: Frame; binary: boolean }[] = [];
  socket.on('message', (data, binary) => {
    frames.push({ frame: JSON.parse(data.toString()) as Frame, binary });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  async function reply(seq: number): Promise<{ frame: Frame; binary: boolean }> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = frames.find((f) => f.frame.head.seq === seq);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no reply to seq ${seq}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  return { socket, frames, reply };
}

const frame = (servcmd: string, seq: number, body: unknown = {}, head: object = {}) =>
  JSON.stringify({ head: { servcmd, seq, ...head }, body });

test('unknown servcmds get a generic OK, logged once per servcmd', async () => {
  const emu = await fx.start();
  const raw = await rawSocket(`${emu.wsUrl}/binfo?instanceid=raw1`);
  raw.socket.send(frame('made_up.thing', 1));
  raw.socket.send(frame('made_up.thing', 2));
  const first = await raw.reply(1);
  await raw.reply(2);
  expect(first.binary).toBe(true);
  expect(first.frame).toEqual({
    head: { servcmd: 'made_up.thing', seq: 1, ver: 'v4' },
    body: { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '' },
  });
  expect(fx.logs.filter((l) => l.includes('made_up.thing'))).toEqual([
    'unknown servcmd made_up.thing: answered with a generic OK',
  ]);
});

test('malformed frames get a TIM error where a seq is known and break nothing', async () => {
  const emu = await fx.start();
  emu.createUser('alice');
  const raw = await rawSocket(`${emu.wsUrl}/info?instanceid=raw2`);
  raw.socket.send('not json at all');
  raw.socket.send('[1,2,3]');
  raw.socket.send(JSON.stringify({ head: { servcmd: 'heartbeat.alive', seq: 'x' } }));
  raw.socket.send(JSON.stringify({ head: { servcmd: 'heartbeat.alive', seq: 5 }, body: [] }));
  raw.socket.send(Buffer.from([0xff, 0xfe, 0x00]));
  const bad = await raw.reply(5);
  expect(bad.binary).toBe(false);
  expect(bad.frame.body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 10011 });
  raw.socket.send(frame('group_open_http_svc.get_joined_group_list', 6));
  expect((await raw.reply(6)).frame.body).toMatchObject({ ErrorCode: 10008 });
  raw.socket.send(
    frame(
      'im_open_status.wslogin',
      7,
      {},
      { identifier: 'alice', usersig: emu.userSig('alice'), sdkappid: emu.sdkAppId },
    ),
  );
  const login = (await raw.reply(7)).frame.body;
  expect(login).toMatchObject({ ActionStatus: 'OK', TinyId: expect.any(String) });
  expect(login.InstId).not.toBe(0);
  raw.socket.send(frame('group_open_http_svc.get_joined_group_list', 8, {}, { a2: login.A2Key }));
  expect((await raw.reply(8)).frame.body).toMatchObject({ ErrorCode: 0, TotalCount: 0 });
  expect(emu.listUsers().map((u) => u.userId)).toEqual(['alice']);
  expect(fx.logs.filter((l) => l.startsWith('malformed frame'))).toHaveLength(5);
});

test('one port: other upgrade paths are refused, plain HTTP goes to the HTTP API', async () => {
  const emu = await fx.start();
  const refused = new WebSocket(`${emu.wsUrl}/elsewhere`);
  sockets.push(refused);
  const status = await new Promise<number | undefined>((resolve) => {
    refused.once('unexpected-response', (_req, res) => resolve(res.statusCode));
    refused.once('error', () => resolve(undefined));
  });
  expect(status).toBe(404);
  emu.createUser('alice');
  const res = await fetch(`${emu.adminUrl}/admin/users`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ users: [{ userId: 'alice' }] });
});

test('close() is idempotent and ends open sockets', async () => {
  const emu = await fx.start();
  const raw = await rawSocket(`${emu.wsUrl}/binfo?instanceid=raw3`);
  const closed = new Promise<void>((resolve) => raw.socket.once('close', () => resolve()));
  await Promise.all([emu.close(), emu.close()]);
  await closed;
  await emu.close();
  await expect(fetch(`${emu.adminUrl}/admin/users`)).rejects.toThrow();
});

test('a login from another platform kicks the SDK session as multipleDevice', async () => {
  const emu = await fx.start();
  const alice = await fx.login(emu, 'alice');
  const raw = await rawSocket(`${emu.wsUrl}/binfo?instanceid=phone&platform=2`);
  raw.socket.send(
    frame(
      'im_open_status.wslogin',
      1,
      {},
      { identifier: 'alice', usersig: emu.userSig('alice'), sdkappid: emu.sdkAppId },
    ),
  );
  expect((await raw.reply(1)).frame.body).toMatchObject({ ActionStatus: 'OK' });
  const kicked = (await alice.waitFor('KICKED_OUT')) as { type: string };
  expect(kicked.type).toBe(alice.sdk.TYPES.KICKED_OUT_MULT_DEVICE);
  expect(emu.onlineUsers()).toEqual(['alice']);
});
