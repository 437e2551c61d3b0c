import { afterEach, expect, test } from 'vitest';
import WebSocket from 'ws';
import { useEmulator } from '../test-support/fixture.js';
import { frame, useRawSockets } from '../test-support/raw-socket.js';

const fx = useEmulator();
const rawSocket = useRawSockets();
const sockets: WebSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.terminate();
});

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

test('unknown servcmds: each still gets its OK, but the names kept and logged are bounded', async () => {
  const emu = await fx.start();
  const raw = await rawSocket(`${emu.wsUrl}/binfo?instanceid=raw-unknown`);
  const huge = (i: number) => `${i}${'x'.repeat(1024 * 1024)}`;
  for (let i = 0; i < 3; i += 1) {
    expect(await raw.request(huge(i))).toMatchObject({ ActionStatus: 'OK' });
  }
  for (let i = 0; i < 300; i += 1) {
    expect(await raw.request(`made_up.n${i}`)).toMatchObject({ ActionStatus: 'OK' });
  }
  const lines = fx.logs.filter((l) => l.includes('servcmd'));
  expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(200);
  expect(lines.length).toBeLessThanOrEqual(101);
  expect(lines.at(-1)).toMatch(/no more unknown servcmds are logged/);
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
