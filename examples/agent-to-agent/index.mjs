// Two agents built with @clawlink/events, on the embedded clawlink emulator: a planner hands
// a researcher a task and gets the answer back; a stranger asks too and is refused, because
// the researcher takes tasks only from the agents in its agentRequests.allowFrom.
//
// Agent requests travel as TIM custom messages between the two accounts (a versioned
// clawlink envelope); every agent is a real TIM client (tim-js-sdk underneath).
// Run from the repository root: node examples/agent-to-agent/index.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '@clawlink/emulator';
import { createAgent } from '@clawlink/events';

const SDK_APP_ID = 1400000001;
const SECRET_KEY = 'clawlink-demo-secret';

const say = (line) => console.log(line);
const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-a2a-'));
const emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
say(`emulator listening on ${emulator.wsUrl}`);

function agent(userId, extra = {}) {
  return createAgent({
    accountId: userId,
    server: emulator.wsUrl,
    stateDir,
    credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
    ...extra,
  });
}

// The researcher answers tasks from the planner only.
const researcher = agent('researcher', { agentRequests: { allowFrom: ['planner'] } });
const notes = new Map([
  ['the size limit of one TIM message', 'One TIM message carries at most 12 KB.'],
  ['the group send rate limit', 'A group takes at most 40 messages a second.'],
]);
researcher.on('agent_request', (event) => {
  const { task, from } = event.request;
  say(`  researcher got a task from ${from}: "${task}"`);
  return notes.get(task) ?? `I found nothing on "${task}".`;
});

const planner = agent('planner');
const stranger = agent('stranger');
await Promise.all([researcher.start(), planner.start(), stranger.start()]);

for (const task of notes.keys()) {
  say(`planner asks researcher: "${task}"`);
  const { result, from } = await planner.agents.request('researcher', task, { timeoutMs: 15_000 });
  say(`planner got from ${from}: ${result}`);
}

say('stranger asks researcher: "the group send rate limit"');
try {
  await stranger.agents.request('researcher', 'the group send rate limit', { timeoutMs: 15_000 });
  throw new Error('the stranger was expected to be refused');
} catch (error) {
  if (error.code !== 'AGENT_REQUEST_REFUSED') throw error;
  say(`stranger was refused (${error.code}): ${error.message}`);
}

await Promise.all([researcher.stop(), planner.stop(), stranger.stop()]);
await emulator.close();
rmSync(stateDir, { recursive: true, force: true });
say('done');
