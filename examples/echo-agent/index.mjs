// An echo agent built with @clawlink/events, on the embedded clawlink emulator.
//
// The emulator is a local TIM-compatible server; the agent is a real TIM client (tim-js-sdk
// underneath) that signs its own UserSig with the emulator's secret key. Alice is played
// through the emulator's admin API, which posts messages as any user.
// Run from the repository root: node examples/echo-agent/index.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '@clawlink/emulator';
import { createAgent } from '@clawlink/events';

const SDK_APP_ID = 1400000001;
const SECRET_KEY = 'clawlink-demo-secret';

const say = (line) => console.log(line);
const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-echo-'));
const emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
say(`emulator listening on ${emulator.wsUrl}`);

emulator.createUser('alice', { nick: 'Alice' });
emulator.createUser('echo', { nick: 'Echo' });
const lobby = emulator.createGroup({ name: 'lobby', owner: 'alice', members: ['echo'] });

const agent = createAgent({
  accountId: 'echo',
  server: emulator.wsUrl,
  stateDir,
  credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId: 'echo', secretKey: SECRET_KEY },
});
agent.on('status', (status) => say(`  (echo is ${status.state})`));
agent.on('error', (error) => say(`  (echo: ${error.message})`));

// The answer: in the channel a returned string (sent quoting alice's message and mentioning
// her); in a direct chat an async iterable, streamed into one message that grows in place.
agent.on('message', (event) => {
  const said = event.text.replace(/^@echo\s*/, '');
  say(`[${where(event)}] ${event.sender.id}: ${event.text}`);
  if (event.kind === 'channel') return `You said: ${said}`;
  return wordByWord(`You said: ${said}`);
});

async function* wordByWord(text) {
  for (const word of text.split(' ')) yield `${word} `;
}

function where(event) {
  return event.kind === 'channel' ? `#${event.channel.name}` : 'direct';
}

/** Polls `read` until it returns something, for at most 15 s. */
async function waitFor(what, read) {
  for (let tries = 0; tries < 750; tries++) {
    const value = read();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const textOf = (message) => ('text' in message.content ? message.content.text : '');

await agent.start();

emulator.postGroupMessage({
  groupId: lobby.groupId,
  from: 'alice',
  content: { text: '@echo hello, is anyone there?', atUserIds: ['echo'] },
});
const inLobby = await waitFor('the answer in #lobby', () =>
  emulator.groupHistory(lobby.groupId).find((m) => m.from === 'echo'),
);
say(`[#lobby] echo: ${textOf(inLobby)}`);

emulator.postC2CMessage({ from: 'alice', to: 'echo', content: { text: 'just between us' } });
const expected = 'You said: just between us';
const direct = await waitFor('the streamed direct answer', () =>
  emulator
    .c2cHistory('alice', 'echo')
    .find((m) => m.from === 'echo' && textOf(m).trim() === expected),
);
say(`[direct] echo: ${textOf(direct).trim()}`);

await agent.stop();
await emulator.close();
rmSync(stateDir, { recursive: true, force: true });
say('done');
