/**
 * The emulator as a stranger uses it: the `clawlink-emulator` CLI started as its own process,
 * a client we did not write (the plain tim-js-sdk), and UserSigs from Tencent's own
 * tls-sig-api-v2 package.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginRaw, nextMessage, type RawTim } from './support/raw-tim.js';

const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require('tls-sig-api-v2') as {
  Api: new (sdkAppId: number, key: string) => { genSig(userId: string, expire: number): string };
};

const SDK_APP_ID = 1400000042;
const SECRET_KEY = 'e2e-standalone-secret';
const cli = fileURLToPath(new URL('../packages/emulator/dist/cli.js', import.meta.url));
const signer = new TLSSigAPIv2.Api(SDK_APP_ID, SECRET_KEY);

let child: ChildProcess;
let server = '';
const clients: RawTim[] = [];

async function login(userId: string, userSig = signer.genSig(userId, 600)) {
  const client = await loginRaw(server, SDK_APP_ID, userId, userSig);
  clients.push(client.tim);
  return client;
}

async function loginError(userId: string, userSig: string): Promise<number> {
  const { loadTim } = await import('./support/raw-tim.js');
  const TIM = loadTim();
  const tim = TIM.create({ SDKAppID: SDK_APP_ID, proxyServer: server });
  tim.setLogLevel(4);
  clients.push(tim);
  try {
    await tim.login({ userID: userId, userSig });
  } catch (error) {
    return (error as { code: number }).code;
  }
  throw new Error('login was expected to be refused');
}

beforeAll(async () => {
  child = spawn(
    process.execPath,
    [cli, '--port', '0', '--sdk-app-id', String(SDK_APP_ID), '--secret-key', SECRET_KEY],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  server = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}: ${output}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.includes('listening'));
      const url = line?.match(/ws:\/\/[^\s,]+/)?.[0];
      if (url) resolve(url);
    });
  });
  expect(output).not.toContain(SECRET_KEY);
});

afterAll(async () => {
  await Promise.all(clients.map((tim) => tim.destroy().catch(() => {})));
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

describe('a plain tim-js-sdk client on the standalone emulator', () => {
  it('creates and joins a group with a custom field and exchanges @-messages, C2C and history', async () => {
    const alice = await login('e2e_alice');
    const bob = await login('e2e_bob');

    const created = await alice.tim.createGroup({
      type: alice.TIM.TYPES.GRP_PUBLIC,
      name: 'e2e lobby',
      introduction: 'where the e2e users meet',
      groupCustomField: [{ key: 'topic', value: 'testing' }],
    });
    const groupID: string = created.data.group.groupID;
    await bob.tim.joinGroup({ groupID });
    const profile = await bob.tim.getGroupProfile({ groupID, groupCustomFieldFilter: ['topic'] });
    expect(profile.data.group.name).toBe('e2e lobby');
    expect(profile.data.group.groupCustomField).toEqual([{ key: 'topic', value: 'testing' }]);

    const received = nextMessage(
      bob.TIM,
      bob.tim,
      (m) => m.to === groupID && m.type === 'TIMTextElem',
    );
    const at = alice.tim.createTextAtMessage({
      to: groupID,
      conversationType: alice.TIM.TYPES.CONV_GROUP,
      payload: { text: '@e2e_bob hello from alice', atUserList: ['e2e_bob'] },
    });
    await alice.tim.sendMessage(at);
    const groupMessage = await received;
    expect(groupMessage.payload.text).toBe('@e2e_bob hello from alice');
    expect(groupMessage.atUserList).toEqual(['e2e_bob']);
    expect(groupMessage.from).toBe('e2e_alice');

    const dm = nextMessage(alice.TIM, alice.tim, (m) => m.from === 'e2e_bob');
    await bob.tim.sendMessage(
      bob.tim.createTextMessage({
        to: 'e2e_alice',
        conversationType: bob.TIM.TYPES.CONV_C2C,
        payload: { text: 'hi alice, directly' },
      }),
    );
    expect((await dm).payload.text).toBe('hi alice, directly');

    const reply = nextMessage(
      bob.TIM,
      bob.tim,
      (m) => m.from === 'e2e_alice' && m.type === 'TIMCustomElem',
    );
    await alice.tim.sendMessage(
      alice.tim.createCustomMessage({
        to: 'e2e_bob',
        conversationType: alice.TIM.TYPES.CONV_C2C,
        payload: { data: '{"kind":"ping"}', description: 'ping', extension: '' },
      }),
    );
    expect((await reply).payload.data).toBe('{"kind":"ping"}');

    // A third user reads both histories from the server, with no local cache to lean on.
    const carol = await login('e2e_carol');
    await carol.tim.joinGroup({ groupID });
    const groupHistory = await carol.tim.getMessageList({ conversationID: `GROUP${groupID}` });
    const texts = groupHistory.data.messageList
      .filter((m: RawTim) => m.type === 'TIMTextElem')
      .map((m: RawTim) => m.payload.text);
    expect(texts).toContain('@e2e_bob hello from alice');

    const aliceHistory = await alice.tim.getMessageList({ conversationID: 'C2Ce2e_bob' });
    const c2cKinds = aliceHistory.data.messageList.map((m: RawTim) => m.type);
    expect(c2cKinds).toEqual(expect.arrayContaining(['TIMTextElem', 'TIMCustomElem']));
  });

  it('refuses a forged UserSig and an expired one with TIM codes', async () => {
    const forged = new TLSSigAPIv2.Api(SDK_APP_ID, 'not-the-emulator-key').genSig(
      'e2e_mallory',
      600,
    );
    const forgedCode = await loginError('e2e_mallory', forged);
    expect(forgedCode).toBe(70009); // TIM: signature verification failed

    const shortLived = signer.genSig('e2e_late', 1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await loginError('e2e_late', shortLived)).toBe(70001);
  });

  it('refuses a message over 12 KB', async () => {
    const erin = await login('e2e_erin');
    const big = erin.tim.createTextMessage({
      to: 'e2e_alice',
      conversationType: erin.TIM.TYPES.CONV_C2C,
      payload: { text: 'x'.repeat(12 * 1024 + 1) },
    });
    const code = await erin.tim.sendMessage(big).then(
      () => 0,
      (error: { code: number }) => error.code,
    );
    expect(code).toBe(80002);
  });
});
