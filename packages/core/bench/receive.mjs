// Receiving a long stream in one group: does the cost per message stay flat?
//   node --expose-gc bench/receive.mjs [messages=20000] [client|pipeline]
// One bare client logs in (or, with `pipeline`, an AccountRuntime with a zero-time dispatch:
// the whole inbound pipeline, SQLite ledger included); a separate process posts the messages through the emulator's admin API
// (so neither the emulator's nor the poster's CPU is counted). Compares the first and the last
// window of WINDOW messages of the same run: CPU per message (this process's user + system
// time) and heap growth per message (after GC) between the two. With the SDK's message lists
// unbounded, CPU per message grew ~6x over 40 000 messages and the heap ~1.25 KB per message.
// Prints one JSON line.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccountRuntime } from '@clawlink/core';
import { createTimClient } from '@clawlink/core/tim';
import { createUserSig } from '@clawlink/usersig';
import { adminOf, cpuMicros, pipelineConfig } from './pipeline-support.mjs';
import { SDK_APP_ID, SECRET_KEY, startEmulatorProcess } from './support.mjs';

const total = Number(process.argv[2] ?? 20_000);
const mode = process.argv[3] ?? 'client';
if (mode !== 'client' && mode !== 'pipeline') throw new Error(`unknown mode ${mode}`);
const WINDOW = 1_000;
if (!Number.isInteger(total) || total < 4 * WINDOW) {
  throw new Error(`messages must be an integer of at least ${4 * WINDOW} (got ${process.argv[2]})`);
}

const emulator = await startEmulatorProcess();
const { adminUrl, post: admin } = adminOf(emulator.wsUrl);

const sender = 'bench_sender';
const receiver = 'bench_receiver';
await admin('/users', { userId: sender });
await admin('/users', { userId: receiver });
const { group } = await admin('/groups', {
  name: 'stream',
  owner: sender,
  members: [sender, receiver],
});

let onMessage = () => {};
let stop;
if (mode === 'client') {
  const client = createTimClient({ sdkAppId: SDK_APP_ID, server: emulator.wsUrl });
  client.on('message', () => onMessage());
  await client.login({
    userId: receiver,
    userSig: createUserSig({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, userId: receiver }),
  });
  stop = () => client.destroy();
} else {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-bench-receive-'));
  const runtime = createAccountRuntime({
    config: pipelineConfig(emulator.wsUrl, receiver, stateDir),
    dispatch: (event) => {
      for (const _ of event.messages) onMessage();
    },
  });
  await runtime.start();
  if (runtime.status().state !== 'connected') throw new Error(`${receiver} did not connect`);
  await new Promise((resolve) => setTimeout(resolve, 300)); // the connect's catch-up
  stop = async () => {
    await runtime.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
}

const gcHeap = () => {
  for (let i = 0; i < 3; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
};
/** CPU time (µs) when the n-th message arrived; the heap (after GC) at the first mark. */
const marks = new Map();
let heapAtStart = 0;
const markAt = new Set([WINDOW, 2 * WINDOW, total - WINDOW, total]);
let received = 0;
let done;
const finished = new Promise((resolve) => {
  done = resolve;
});
onMessage = () => {
  received++;
  if (received === WINDOW) heapAtStart = gcHeap();
  if (markAt.has(received)) marks.set(received, cpuMicros());
  if (received === total) done();
};

// The poster: its own process, a few requests in flight at once, in order per request.
const poster = spawn(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `const [url, groupId, from, total] = process.argv.slice(1);
     let next = 0;
     const post = async () => {
       while (next < Number(total)) {
         const i = next++;
         const r = await fetch(url + '/admin/groups/' + encodeURIComponent(groupId) + '/messages', {
           method: 'POST', headers: { 'content-type': 'application/json' },
           body: JSON.stringify({ from, content: { text: 'message ' + i } }) });
         if (!r.ok) throw new Error(r.status + ' ' + await r.text());
       }
     };
     await Promise.all(Array.from({ length: 4 }, post));`,
    adminUrl,
    group.groupId,
    sender,
    String(total),
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
const posted = new Promise((resolve, reject) =>
  poster.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`poster: ${code}`)))),
);

const started = performance.now();
await posted;
await finished;
const seconds = (performance.now() - started) / 1000;
// Heap: growth per message from the first mark to the end, once all messages were handled.
const heapAfter = gcHeap();
const perMessage = (from, to) => (marks.get(to) - marks.get(from)) / (to - from);
const startUs = perMessage(WINDOW, 2 * WINDOW);
const endUs = perMessage(total - WINDOW, total);
await stop();
await emulator.stop();
console.log(
  JSON.stringify({
    mode,
    messages: total,
    cpuPerMessageStartUs: Math.round(startUs),
    cpuPerMessageEndUs: Math.round(endUs),
    cpuEndToStartRatio: Number((endUs / startUs).toFixed(2)),
    heapGrowthPerMessageBytes: Math.round((heapAfter - heapAtStart) / (total - WINDOW)),
    heapStartMb: Math.round((heapAtStart / 1024 / 1024) * 10) / 10,
    heapEndMb: Math.round((heapAfter / 1024 / 1024) * 10) / 10,
    messagesPerSecond: Math.round(total / seconds),
  }),
);
