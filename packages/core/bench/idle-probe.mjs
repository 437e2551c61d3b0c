// Idle accounts: what the SDK's 1 s timers cost a process that holds many logged-in clients.
//   pnpm build && node bench/idle-probe.mjs [--accounts 1000] [--seconds 20] [--rounds 1]
// For each arm a child process logs `accounts` bare TimClients into a standalone emulator
// (32 logins at a time), lets them settle, then measures its own CPU (user + system) over
// `seconds` of idling: `shared`, the SDK intervals of every client on the one shared clock (the
// default), against `own`, each SDK instance with its own Node intervals (`sharedTimers:
// false`, as before the shared clock). The arms alternate, `rounds` times each. Prints one
// JSON line: per arm the median CPU in % of one core and in µs per account and second, the
// Timeouts the process holds, and own / shared.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTimClient } from '@clawlink/core/tim';
import { createUserSig } from '@clawlink/usersig';
import { median, SDK_APP_ID, SECRET_KEY, startEmulatorProcess } from './support.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const accounts = Number(arg('accounts', 1000));
const seconds = Number(arg('seconds', 20));
const rounds = Number(arg('rounds', 1));
const arm = arg('arm', undefined);
const SETTLE_MS = 5_000;
const CONCURRENT_LOGINS = 32;

const timeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

/** The child: logs the clients in, idles, and prints what the idling cost. */
async function runArm(wsUrl) {
  const clients = [];
  let next = 0;
  const loginNext = async () => {
    while (next < accounts) {
      const userId = `idle_${arm}_${next++}`;
      const client = createTimClient({
        sdkAppId: SDK_APP_ID,
        server: wsUrl,
        sharedTimers: arm === 'shared',
      });
      clients.push(client);
      const userSig = createUserSig({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, userId });
      await client.login({ userId, userSig });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_LOGINS }, loginNext));
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const held = timeouts();
  const start = process.cpuUsage();
  const startedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const used = process.cpuUsage(start);
  const elapsedS = (performance.now() - startedAt) / 1000;
  const cpuUs = used.user + used.system;
  const ready = clients.filter((client) => client.isReady).length;
  console.log(
    JSON.stringify({
      arm,
      ready,
      timeouts: held,
      corePercent: (cpuUs / (elapsedS * 1e6)) * 100,
      usPerAccountSecond: cpuUs / elapsedS / accounts,
    }),
  );
  await Promise.all(clients.map((client) => client.destroy()));
}

/** Runs one arm in a child process and returns its result. */
function child(wsUrl, which) {
  return new Promise((resolve, reject) => {
    const script = fileURLToPath(import.meta.url);
    const args = [
      script,
      '--arm',
      which,
      '--accounts',
      String(accounts),
      '--seconds',
      String(seconds),
    ];
    const proc = spawn(process.execPath, [...args, '--ws', wsUrl], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk) => {
      out += chunk;
    });
    proc.once('close', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) reject(new Error(`arm ${which} exited with ${code}`));
      else resolve(JSON.parse(line));
    });
  });
}

if (arm) {
  await runArm(arg('ws', ''));
  process.exit(0);
}

const emulator = await startEmulatorProcess();
const results = { shared: [], own: [] };
try {
  for (let i = 0; i < rounds; i++) {
    for (const which of i % 2 ? ['own', 'shared'] : ['shared', 'own']) {
      results[which].push(await child(emulator.wsUrl, which));
    }
  }
} finally {
  await emulator.stop();
}
const summary = (list) => ({
  ready: Math.min(...list.map((r) => r.ready)),
  timeouts: median(list.map((r) => r.timeouts)),
  corePercent: Math.round(median(list.map((r) => r.corePercent)) * 10) / 10,
  usPerAccountSecond: Math.round(median(list.map((r) => r.usPerAccountSecond)) * 10) / 10,
});
const shared = summary(results.shared);
const own = summary(results.own);
console.log(
  JSON.stringify({
    accounts,
    seconds,
    rounds,
    shared,
    own,
    ownOverShared: Math.round((own.corePercent / shared.corePercent) * 100) / 100,
  }),
);
