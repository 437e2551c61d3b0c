// One measurement in a fresh process: N accounts started at once, of one kind.
//   node --expose-gc bench/fleet-probe.mjs <mode> <count> <wsUrl>
// Modes: client (N bare TimClients, every login at once: the baseline), client-pooled (N bare
// TimClients logged in as startAll() logs in accounts: at most 32 at once, each login begun on
// a turn of the event loop of its own; the accounts ready early keep working, e.g. their SDK
// timers, while the rest log in), registry-unbounded
// (an AccountRegistry with maxConcurrentLogins N, a state file each: no bound on the logins in
// flight, each start still on a turn of its own), registry (the default login pool, a state
// file each), registry-shared (the default pool, one shared state file). The state files are
// new (a first start of the fleet).
// Prints one JSON line: {mode, count, readyMs, settledMs, firstReadyMs, maxStallMs, cpuMs,
// notReady, rssPerAccountMb, heapPerAccountMb, fdsPerAccount}. readyMs and the stall include
// adding the N accounts (or creating the N clients); cpuMs is the process's CPU (user + system,
// all threads) up to settledMs. settledMs is when the process went quiet after all were ready:
// the start of the first QUIET_WINDOW_MS window in which it used under QUIET_CPU_MS of CPU.
// All at once, the SDK's work after each login (its first syncs) comes after every login has
// ended, past readyMs; paced, most of it is done before: settledMs counts the same work for both.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createAccountRegistry, DEFAULT_MAX_CONCURRENT_LOGINS } from '@clawlink/core';
import { createTimClient } from '@clawlink/core/tim';
import { createUserSig } from '@clawlink/usersig';
import { SDK_APP_ID, SECRET_KEY } from './support.mjs';

const [mode, countText, wsUrl] = process.argv.slice(2);
const count = Number(countText);
const sig = (userId) => createUserSig({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, userId });
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));
const QUIET_WINDOW_MS = 50;
const QUIET_CPU_MS = 5;
const cpuMsSince = (from) => {
  const { user, system } = process.cpuUsage(from);
  return (user + system) / 1000;
};
/** Resolves with the time (performance.now()) at which the process went quiet. */
async function quietAt() {
  for (;;) {
    const windowStart = performance.now();
    const cpu = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
    if (cpuMsSince(cpu) < QUIET_CPU_MS) return windowStart;
  }
}
const fds = () => readdirSync('/proc/self/fd').length;

async function snapshot() {
  await settle();
  for (let i = 0; i < 3; i++) globalThis.gc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss, fds: fds() };
}

const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-bench-fleet-'));
const prefix = `${mode.slice(0, 1)}${mode.length}${process.pid % 10000}_`;
const userIds = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
// Load and warm up the code paths once, so the baseline includes the compiled SDK.
const warm = createTimClient({ sdkAppId: SDK_APP_ID, server: wsUrl });
await warm.login({ userId: `${prefix}warm`, userSig: sig(`${prefix}warm`) });
await warm.destroy();
const before = await snapshot();

const stall = monitorEventLoopDelay({ resolution: 5 });
let firstReadyMs;
let stop;
let notReady = 0;
const started = performance.now();
const cpuAtStart = process.cpuUsage();
stall.enable();
if (mode === 'client-pooled') {
  const clients = userIds.map(() => createTimClient({ sdkAppId: SDK_APP_ID, server: wsUrl }));
  let next = 0;
  let turns = Promise.resolve();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      turns = turns.then(() => new Promise((resolve) => setImmediate(resolve)));
      await turns;
      try {
        await clients[i].login({ userId: userIds[i], userSig: sig(userIds[i]) });
        firstReadyMs ??= performance.now() - started;
      } catch {
        notReady += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DEFAULT_MAX_CONCURRENT_LOGINS, count) }, worker));
  stop = () => Promise.all(clients.map((client) => client.destroy()));
} else if (mode === 'client') {
  const clients = userIds.map(() => createTimClient({ sdkAppId: SDK_APP_ID, server: wsUrl }));
  const results = await Promise.allSettled(
    clients.map((client, i) =>
      client.login({ userId: userIds[i], userSig: sig(userIds[i]) }).then(() => {
        firstReadyMs ??= performance.now() - started;
      }),
    ),
  );
  notReady = results.filter((r) => r.status === 'rejected').length;
  stop = () => Promise.all(clients.map((client) => client.destroy()));
} else {
  const registry = createAccountRegistry({
    ...(mode === 'registry-unbounded' ? { maxConcurrentLogins: count } : {}),
    ...(mode === 'registry-shared' ? { sharedStateFile: join(stateDir, 'fleet.sqlite') } : {}),
  });
  for (const userId of userIds) {
    registry.add({
      accountId: userId,
      server: wsUrl,
      stateDir,
      credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
    });
  }
  registry.on('status', (status) => {
    if (status.state === 'connected') firstReadyMs ??= performance.now() - started;
  });
  await registry.startAll();
  notReady = registry.statuses().filter((s) => s.state !== 'connected').length;
  stop = () => registry.close();
}
const readyMs = performance.now() - started;
stall.disable();
const settledMs = (await quietAt()) - started;
const cpuMs = cpuMsSince(cpuAtStart);
const after = await snapshot();
const perAccount = (value) => Math.round((value / count) * 100) / 100;
const mb = (bytes) => perAccount(bytes / 1024 / 1024);
console.log(
  JSON.stringify({
    mode,
    count,
    readyMs: Math.round(readyMs),
    settledMs: Math.round(settledMs),
    firstReadyMs: Math.round(firstReadyMs ?? Number.NaN),
    maxStallMs: Math.round(stall.max / 1e6),
    cpuMs: Math.round(cpuMs),
    notReady,
    rssPerAccountMb: mb(after.rss - before.rss),
    heapPerAccountMb: mb(after.heapUsed - before.heapUsed),
    fdsPerAccount: perAccount(after.fds - before.fds),
  }),
);
await stop();
rmSync(stateDir, { recursive: true, force: true });
process.exit(0);
