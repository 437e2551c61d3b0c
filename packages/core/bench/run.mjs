// clawlink core benchmarks: time to ready and memory per account, each reported as a ratio
// against a baseline measured in the same run.
//   pnpm bench            (from the repository root; builds first)
//   node --expose-gc bench/run.mjs [--rounds 15] [--accounts 50] [--fleet 1000] [--stream 100000]
// Then a fleet started at once (bench/fleet-probe.mjs: all ready, settled, first ready, event-loop
// stall, RSS and fds per account), a long receive in one group (bench/receive.mjs: CPU per
// message and heap, first against last messages) and the inbound pipeline's section
// (bench/pipeline.mjs). CLAWLINK_BENCH_QUICK=1 for a quick run of all (200 accounts in the
// fleet, 20 000 messages in the long receive).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createAccountRuntime, createMemoryStateStore } from '@clawlink/core';
import { createTimClient } from '@clawlink/core/tim';
import { createUserSig } from '@clawlink/usersig';
import {
  median,
  ratio,
  runProbe,
  SDK_APP_ID,
  SECRET_KEY,
  startEmulatorProcess,
} from './support.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const QUICK = process.env.CLAWLINK_BENCH_QUICK === '1';
const rounds = arg('rounds', QUICK ? 5 : 15);
const accounts = arg('accounts', 50);
const fleet = arg('fleet', QUICK ? 200 : 1000);
const streamMessages = arg('stream', QUICK ? 20_000 : 100_000);
const emulator = await startEmulatorProcess();
const sig = (userId) => createUserSig({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, userId });

// 1. Time to ready: a bare TimClient login (baseline) against a full AccountRuntime start
//    (config validation, state store, credential manager, login), interleaved so machine
//    load affects both alike. Both connect to the same standalone emulator.
const clientMs = [];
const runtimeMs = [];
async function clientRound(i) {
  const t = performance.now();
  const client = createTimClient({ sdkAppId: SDK_APP_ID, server: emulator.wsUrl });
  await client.login({ userId: `bench_c${i}`, userSig: sig(`bench_c${i}`) });
  clientMs.push(performance.now() - t);
  await client.destroy();
}
async function runtimeRound(i) {
  const t = performance.now();
  const runtime = createAccountRuntime({
    config: {
      accountId: `bench_r${i}`,
      server: emulator.wsUrl,
      credentials: {
        kind: 'secretKey',
        sdkAppId: SDK_APP_ID,
        userId: `bench_r${i}`,
        secretKey: SECRET_KEY,
      },
    },
    store: createMemoryStateStore(),
  });
  await runtime.start();
  if (runtime.status().state !== 'connected') throw new Error('runtime did not connect');
  runtimeMs.push(performance.now() - t);
  await runtime.stop();
}
for (let i = 0; i < rounds; i++) {
  // Alternate which goes first, so neither always runs on a warmer process.
  if (i % 2 === 0) {
    await clientRound(i);
    await runtimeRound(i);
  } else {
    await runtimeRound(i);
    await clientRound(i);
  }
}
const readyClient = median(clientMs.slice(1));
const readyRuntime = median(runtimeMs.slice(1));

// 2. Memory per account, each kind in a fresh process (node --expose-gc), N accounts held.
const measure = (mode) => runProbe('memory-probe.mjs', [mode, String(accounts), emulator.wsUrl]);
const client = measure('client');
const runtime = measure('runtime');
const fresh = measure('fresh-module');

// 3. A fleet started at once, each kind in a fresh process (bench/fleet-probe.mjs).
const fleetOf = (mode) => runProbe('fleet-probe.mjs', [mode, String(fleet), emulator.wsUrl]);
const fleets = {};
for (const mode of [
  'client',
  'client-pooled',
  'registry-unbounded',
  'registry',
  'registry-shared',
]) {
  fleets[mode] = fleetOf(mode);
  process.stderr.write(`[bench] fleet ${JSON.stringify(fleets[mode])}\n`);
}
await emulator.stop();

// 4. A long receive in one group (bench/receive.mjs, its own emulator): the first against the
//    last messages, bare client and full pipeline.
const receiveOf = (mode) => runProbe('receive.mjs', [String(streamMessages), mode]);
const receives = { client: receiveOf('client'), pipeline: receiveOf('pipeline') };
process.stderr.write(`[bench] receive ${JSON.stringify(receives)}\n`);

console.log(
  `clawlink core benchmark (Node ${process.versions.node}, ${rounds} rounds, ${accounts} accounts)`,
);
console.log('');
console.log('time to ready, median (first round dropped as warm-up)');
console.log(`  TimClient login (baseline)      ${readyClient.toFixed(1)} ms`);
console.log(
  `  AccountRuntime start            ${readyRuntime.toFixed(1)} ms   ratio ${ratio(readyRuntime, readyClient)}`,
);
console.log('');
console.log(`memory per logged-in account, ${accounts} held (heap / RSS)`);
console.log(
  `  TimClient (baseline)            ${client.heapPerAccountMb} MB / ${client.rssPerAccountMb} MB`,
);
console.log(
  `  AccountRuntime (SQLite state)   ${runtime.heapPerAccountMb} MB / ${runtime.rssPerAccountMb} MB   ratio ${ratio(runtime.heapPerAccountMb, client.heapPerAccountMb)} / ${ratio(runtime.rssPerAccountMb, client.rssPerAccountMb)}`,
);
console.log(
  `  fresh SDK module per account    ${fresh.heapPerAccountMb} MB / ${fresh.rssPerAccountMb} MB   ratio ${ratio(fresh.heapPerAccountMb, client.heapPerAccountMb)} / ${ratio(fresh.rssPerAccountMb, client.rssPerAccountMb)}`,
);
console.log(
  `  (${accounts} logins took ${client.readyMs} / ${runtime.readyMs} / ${fresh.readyMs} ms)`,
);

console.log('');
console.log(
  `${fleet} accounts started at once (${Object.values(fleets).reduce((n, f) => n + f.notReady, 0)} not ready in all)`,
);
const fleetRow = (label, f) =>
  console.log(
    `  ${label.padEnd(34)}${`${f.readyMs} ms`.padStart(10)} ${ratio(f.readyMs, fleets.client.readyMs).padStart(5)}` +
      `${`${f.settledMs} ms`.padStart(10)} ${ratio(f.settledMs, fleets.client.settledMs).padStart(5)}` +
      `${`${f.firstReadyMs} ms`.padStart(10)}${`${f.maxStallMs} ms`.padStart(9)}` +
      `${`${f.rssPerAccountMb} MB`.padStart(9)} ${ratio(f.rssPerAccountMb, fleets.client.rssPerAccountMb).padStart(5)}` +
      `${String(f.fdsPerAccount).padStart(6)}`,
  );
console.log(
  `  ${''.padEnd(34)}${'all ready'.padStart(10)} ${'ratio'.padStart(5)}${'settled'.padStart(10)} ${'ratio'.padStart(5)}${'first'.padStart(10)}${'stall'.padStart(9)}${'RSS/acct'.padStart(9)} ${'ratio'.padStart(5)}${'fds'.padStart(6)}`,
);
fleetRow('TimClient x N, all at once (base)', fleets.client);
fleetRow('TimClient x N, as the login pool', fleets['client-pooled']);
fleetRow('registry, no bound on logins', fleets['registry-unbounded']);
fleetRow('registry, login pool (default)', fleets.registry);
fleetRow('registry, pool + sharedStateFile', fleets['registry-shared']);
console.log('');
console.log(`${streamMessages} messages received in one group: first vs last 1000`);
for (const [label, r] of [
  ['TimClient (baseline)', receives.client],
  ['AccountRuntime pipeline', receives.pipeline],
]) {
  console.log(
    `  ${label.padEnd(26)} CPU/msg ${r.cpuPerMessageStartUs} -> ${r.cpuPerMessageEndUs} µs (x${r.cpuEndToStartRatio}), ` +
      `heap ${r.heapStartMb} -> ${r.heapEndMb} MB (${r.heapGrowthPerMessageBytes} B/msg), ${r.messagesPerSecond} msg/s`,
  );
}
console.log(
  `  pipeline / baseline CPU per message: first ${ratio(receives.pipeline.cpuPerMessageStartUs, receives.client.cpuPerMessageStartUs)}, last ${ratio(receives.pipeline.cpuPerMessageEndUs, receives.client.cpuPerMessageEndUs)}`,
);

// 5. The inbound pipeline (bench/pipeline.mjs), in a process of its own with its own emulator.
console.log('');
execFileSync(
  process.execPath,
  ['--expose-gc', fileURLToPath(new URL('./pipeline.mjs', import.meta.url))],
  {
    stdio: 'inherit',
  },
);
