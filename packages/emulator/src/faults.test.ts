import { expect, test } from 'vitest';
import { useEmulator } from './test-support/fixture.js';
import { sendC2C } from './test-support/sdk-client.js';

const fx = useEmulator();

test('a fault fails N matching requests of one user with its code, then the command works', async () => {
  const emu = await fx.start();
  const alice = await fx.login(emu, 'alice');
  const bob = await fx.login(emu, 'bob');
  emu.injectFault({
    command: 'openim.sendmsg',
    userId: 'alice',
    times: 2,
    errorCode: 10002,
    errorInfo: 'try later',
  });
  await sendC2C(bob, 'alice', 'bob is not affected');
  await expect(sendC2C(alice, 'bob', 'one')).rejects.toMatchObject({ code: 10002 });
  await expect(sendC2C(alice, 'bob', 'two')).rejects.toMatchObject({ code: 10002 });
  await sendC2C(alice, 'bob', 'three');
  expect(emu.c2cHistory('alice', 'bob').map((m) => m.content)).toEqual([
    { text: 'bob is not affected' },
    { text: 'three' },
  ]);
  expect(fx.logs.filter((l) => l.startsWith('fault fired on openim.sendmsg'))).toHaveLength(2);
});

test('a delay fault holds the request before handling it', async () => {
  const emu = await fx.start();
  const alice = await fx.login(emu, 'alice');
  await fx.login(emu, 'bob');
  emu.injectFault({ command: 'openim.sendmsg', delayMs: 300 });
  const sending = sendC2C(alice, 'bob', 'slow');
  const deadline = Date.now() + 5000;
  while (!fx.logs.some((l) => l.includes('delay 300 ms')) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // The request has arrived but is held: nothing is stored yet.
  expect(emu.c2cHistory('alice', 'bob')).toEqual([]);
  await sending;
  expect(emu.c2cHistory('alice', 'bob')).toHaveLength(1);
});

test('clearFaults removes pending faults; a fault needs an errorCode or a delay', async () => {
  const emu = await fx.start();
  const alice = await fx.login(emu, 'alice');
  await fx.login(emu, 'bob');
  emu.injectFault({ command: 'openim.sendmsg', errorCode: 10002, times: 5 });
  emu.clearFaults();
  await sendC2C(alice, 'bob', 'fine');
  expect(() => emu.injectFault({ command: 'openim.sendmsg' })).toThrow(/errorCode, a delayMs/);
  expect(() => emu.injectFault({ command: '', errorCode: 1 })).toThrow(/needs a command/);
});
