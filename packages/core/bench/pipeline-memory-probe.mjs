// One measurement in a fresh process: memory held by N logged-in accounts of one kind, each
// having received one direct message (so the pipeline's ledger, queue and dispatch ran).
//   node --expose-gc bench/pipeline-memory-probe.mjs <client|pipeline|shared> <count> <wsUrl>
//   client    bare TimClients, the message seen as a `message` event
//   pipeline  AccountRuntimes with a zero-time dispatch and their SQLite state files
//   shared    the same, added to a registry with one shared state file
// Prints one JSON line: {mode, count, heapPerAccountMb, rssPerAccountMb, readyMs}.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccountRegistry, createAccountRuntime } from '@clawlink/core';
import { createTimClient } from '@clawlink/core/tim';
import { createUserSig } from '@clawlink/usersig';
import { memorySnapshot, printMemoryPerAccount } from './memory-support.mjs';
import { adminOf, pipelineConfig, postedAt, runPoster, waitFor } from './pipeline-support.mjs';
import { SDK_APP_ID, SECRET_KEY } from './support.mjs';

const [mode, countText, wsUrl] = process.argv.slice(2);
const count = Number(countText);
if (
  !['client', 'pipeline', 'shared'].includes(mode) ||
  !Number.isInteger(count) ||
  count < 1 ||
  !wsUrl
) {
  throw new Error('usage: pipeline-memory-probe.mjs <client|pipeline|shared> <count> <wsUrl>');
}
const sig = (userId) => createUserSig({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, userId });

const admin = adminOf(wsUrl);
const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-bench-'));
const registry =
  mode === 'shared'
    ? createAccountRegistry({ sharedStateFile: join(stateDir, 'all.sqlite') })
    : undefined;
const prefix = `p${mode.slice(0, 3)}${process.pid % 10000}_`;
const sender = `${prefix}sender`;
await admin.post('/users', { userId: sender });
const held = [];
let received = 0;
const onText = (text) => {
  if (postedAt(text ?? '') !== undefined) received++;
};
// Load and warm up the code paths once, so the baseline includes the compiled SDK and pipeline.
async function open(userId) {
  if (mode === 'client') {
    const client = createTimClient({ sdkAppId: SDK_APP_ID, server: wsUrl });
    client.on('message', (message) => onText(message.text));
    await client.login({ userId, userSig: sig(userId) });
    return () => client.destroy();
  }
  const dispatch = (event) => {
    for (const message of event.messages) onText(message.text);
  };
  const config = pipelineConfig(wsUrl, userId, stateDir);
  const runtime =
    mode === 'shared'
      ? registry.add(config, { dispatch })
      : createAccountRuntime({ config, dispatch });
  await runtime.start();
  if (runtime.status().state !== 'connected') throw new Error(`${userId} did not connect`);
  return () => runtime.stop();
}
const closeWarm = await open(`${prefix}warm`);
await closeWarm();
const before = await memorySnapshot();
const started = performance.now();
for (let i = 0; i < count; i++) held.push(await open(`${prefix}${i}`));
const readyMs = performance.now() - started;
await runPoster({ adminUrl: admin.adminUrl, from: sender, toPrefix: prefix, count, inFlight: 4 });
await waitFor(() => received >= count, `${count} messages received`, 120_000, 20);
const after = await memorySnapshot();
printMemoryPerAccount({ mode, count, before, after, readyMs });
await Promise.all(held.map((close) => close()));
rmSync(stateDir, { recursive: true, force: true });
process.exit(0);
