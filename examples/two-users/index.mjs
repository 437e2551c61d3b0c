// Two scripted users talking on the embedded clawlink emulator.
//
// The emulator is a local TIM-compatible server; alice and bob are clawlink account runtimes
// (the real tim-js-sdk underneath) that sign their own UserSigs with the emulator's secret key.
// Run from the repository root after `pnpm build`: node examples/two-users/index.mjs
// (`./run demo` is the agent demo, examples/agent-demo).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccountRuntime } from '@clawlink/core';
import { startEmulator } from '@clawlink/emulator';

const SDK_APP_ID = 1400000001;
const SECRET_KEY = 'clawlink-demo-secret';

const say = (line) => console.log(line);
const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-demo-'));
const emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
say(`emulator listening on ${emulator.wsUrl} (admin API ${emulator.adminUrl})`);

function account(userId) {
  return createAccountRuntime({
    config: {
      accountId: userId,
      server: emulator.wsUrl,
      stateDir,
      credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
    },
  });
}

const alice = account('alice');
const bob = account('bob');
for (const runtime of [alice, bob]) {
  runtime.on('status', (s) =>
    say(`  (${s.accountId} is ${s.state}${s.reason ? `: ${s.reason}` : ''})`),
  );
}

// Bob answers whatever reaches him: in the channel when @-mentioned, and directly.
const answers = new Map([
  ['how is the weather over there?', 'Sunny, 24 degrees. And with you?'],
  ['raining again. any plans for the weekend?', 'A long walk by the river, if it stays dry.'],
  ['sounds good. I will send you the photos', 'Looking forward to them!'],
]);
let bobAnswered = 0;
const bobDone = new Promise((resolve) => {
  bob.on('message', async (message) => {
    const where = message.conversation.type === 'group' ? '#lobby' : 'direct';
    say(`[${where}] ${message.from}: ${message.text}`);
    const question = message.text.replace(/^@bob\s*/, '');
    const answer = answers.get(question) ?? 'Got it, thanks!';
    // A reply goes back to the conversation the message came from: the channel or the sender.
    const inGroup = message.conversation.type === 'group';
    await bob.messages.send(
      message.conversation,
      inGroup ? `@${message.from} ${answer}` : answer,
      inGroup ? { mentions: [message.from] } : {},
    );
    bob.markHandled(message);
    bobAnswered += 1;
    if (bobAnswered === answers.size + 1) resolve();
  });
});

const aliceHeard = [];
alice.on('message', (message) => {
  const where = message.conversation.type === 'group' ? '#lobby' : 'direct';
  say(`[${where}] ${message.from}: ${message.text}`);
  aliceHeard.push(message);
  alice.markHandled(message);
});

await Promise.all([alice.start(), bob.start()]);
const lobby = await alice.channels.create({
  name: 'lobby',
  description: 'where alice and bob meet',
  skill: 'Small talk. Answer when you are @-mentioned.',
});
say(`alice created channel ${lobby.id} ("${lobby.name}", skill: "${lobby.skill}")`);
await bob.channels.join(lobby.id);
const inLobby = { type: 'group', id: lobby.id };
say(`bob joined; bob reads the skill: "${await bob.channels.getSkill(lobby.id)}"`);

const waitForAlice = (count) =>
  new Promise((resolve) => {
    const check = () => (aliceHeard.length >= count ? resolve() : setTimeout(check, 20));
    check();
  });

let turn = 0;
for (const question of answers.keys()) {
  await alice.messages.send(inLobby, `@bob ${question}`, { mentions: ['bob'] });
  turn += 1;
  await waitForAlice(turn);
}
await alice.messages.send({ type: 'c2c', id: 'bob' }, 'p.s. this one is just between us');
await bobDone;
await waitForAlice(turn + 1);

const history = await alice.messages.history(inLobby, { count: 20 });
say(`the server keeps ${history.filter((m) => m.kind === 'text').length} text messages in #lobby`);

await Promise.all([alice.stop(), bob.stop()]);
await emulator.close();
rmSync(stateDir, { recursive: true, force: true });
say('done');
