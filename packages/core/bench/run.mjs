// clawlink core benchmarks: time to ready and memory per account, each reported as a ratio
// against a baseline measured in the same run.
//   pnpm bench            (from the repository root; builds first)
//   node --expose-gc bench/run.mjs [--rounds 15] [--accounts 50]
// Then runs the inbound pipeline's section (bench/pipeline.mjs; CLAWLINK_BENCH_QUICK=1 for a
// quick one).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createAccountRuntime, createMemoryStateStore } from '@clawlink/core';
import { createTimClient } from '@clawlink/core/tim';
import { createUserSig } from '@clawlink/usersig';
import { median, SDK_APP_ID, SECRET_KEY, startEmulatorProcess } from './support.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const rounds = arg('rounds', 15);
const accounts = arg('accounts', 50);
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
const probe = fileURLToPath(new URL('./memory-probe.mjs', import.meta.url));
const measure = (mode) => {
  const output = execFileSync(
    process.execPath,
    ['--expose-gc', probe, mode, String(accounts), emulator.wsUrl],
    { encoding: 'utf8' },
  );
  // The plain SDK prints its version banner on load; the result is the last JSON line.
  const line = output
    .trim()
    .split('\n')
    .findLast((l) => l.startsWith('{'));
  if (!line) throw new Error(`memory probe '${mode}' printed no result:\n${output}`);
  return JSON.parse(line);
};
const client = measure('client');
const runtime = measure('runtime');
const fresh = measure('fresh-module');
await emulator.stop();

const ratio = (a, b) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
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

// 3. The inbound pipeline (bench/pipeline.mjs), in a process of its own with its own emulator.
console.log('');
execFileSync(
  process.execPath,
  ['--expose-gc', fileURLToPath(new URL('./pipeline.mjs', import.meta.url))],
  {
    stdio: 'inherit',
  },
);
