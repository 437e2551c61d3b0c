// Group fan-out: the emulator's CPU to push one group message to every online member.
//   pnpm build && node bench/fanout.mjs [--members 500] [--others 0] [--messages 100]
//                          [--rounds 5] [--baseline path/to/another/build/cli.js]
// Starts the emulator (dist/cli.js) in its own process, logs `members` raw WebSockets into one
// group (one session each, binary frames as tim-js-sdk uses them) and `others` sockets of users
// outside it (online sessions a push must not cost anything for), posts `messages` group
// messages through the admin API one after another and waits until every member has every
// push. Reports the emulator process's CPU (user + system, from /proc) per message and per
// push. With --baseline, a second build (e.g. one of the commit before) runs the same rounds,
// interleaved with this one, and the ratio is printed: that build's CPU over this one's.
// Prints one JSON line.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUserSig } from '@clawlink/usersig';

const SDK_APP_ID = 1400000901;
const SECRET_KEY = 'clawlink-fanout-bench-secret';
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const members = Number(arg('members', 500));
const others = Number(arg('others', 0));
const messages = Number(arg('messages', 100));
const rounds = Number(arg('rounds', 5));
const baseline = arg('baseline', undefined);
const here = dirname(fileURLToPath(import.meta.url));
const current = join(here, '..', 'dist', 'cli.js');
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** The CPU time (µs) process `pid` has used so far. */
function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: state is field 3, utime 14 and stime 15 (1-based, in clock ticks).
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;
}

async function startEmulator(cli) {
  const child = spawn(
    process.execPath,
    [cli, '--port', '0', '--sdk-app-id', String(SDK_APP_ID), '--secret-key', SECRET_KEY],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const wsUrl = await new Promise((resolveUrl, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const url = out.match(/ws:\/\/[^\s,]+/)?.[0];
      if (out.includes('listening') && url) resolveUrl(url);
    });
  });
  const adminUrl = wsUrl.replace(/^ws:/, 'http:');
  const admin = async (path, body) => {
    const response = await fetch(`${adminUrl}/admin${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    pid: child.pid,
    wsUrl,
    admin,
    stop: () =>
      new Promise((done) => {
        child.once('close', done);
        child.kill('SIGTERM');
      }),
  };
}

/** Logs one raw socket in as `userId`; counts the frames it gets afterwards (the pushes). */
async function member(wsUrl, userId) {
  const ws = new WebSocket(`${wsUrl}/binfo?instanceid=${userId}`);
  ws.binaryType = 'arraybuffer';
  const state = { ws, pushes: 0 };
  await new Promise((done, reject) => {
    ws.onerror = () => reject(new Error(`socket of ${userId} failed`));
    ws.onopen = () => {
      const userSig = createUserSig({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, userId });
      const head = {
        servcmd: 'im_open_status.wslogin',
        seq: 1,
        identifier: userId,
        usersig: userSig,
        sdkappid: SDK_APP_ID,
      };
      ws.send(JSON.stringify({ head, body: {} }));
    };
    ws.onmessage = (event) => {
      const text = Buffer.from(event.data).toString();
      if (!text.includes('"A2Key"')) return reject(new Error(`login of ${userId}: ${text}`));
      ws.onmessage = () => {
        state.pushes += 1;
      };
      done();
    };
  });
  return state;
}

/** One emulator with its group and members online. */
async function setUp(cli, label) {
  const emulator = await startEmulator(cli);
  const userIds = Array.from({ length: members }, (_, i) => `fan${i}`);
  await emulator.admin('/users', { userId: 'fan_owner' });
  for (const userId of userIds) await emulator.admin('/users', { userId });
  const { group } = await emulator.admin('/groups', {
    name: 'fan-out',
    owner: 'fan_owner',
    members: userIds,
  });
  const sockets = [];
  for (const userId of userIds) sockets.push(await member(emulator.wsUrl, userId));
  const bystanders = [];
  for (let i = 0; i < others; i++) {
    await emulator.admin('/users', { userId: `other${i}` });
    bystanders.push(await member(emulator.wsUrl, `other${i}`));
  }
  return { label, emulator, groupId: group.groupId, sockets, bystanders, cpuPerMessage: [] };
}

async function round(setup) {
  const { emulator, groupId, sockets } = setup;
  const target = sockets[0].pushes + messages;
  const cpu = cpuMicros(emulator.pid);
  const path = `/groups/${encodeURIComponent(groupId)}/messages`;
  for (let i = 0; i < messages; i++) {
    await emulator.admin(path, { from: 'fan_owner', content: { text: `fan-out ${i}` } });
  }
  while (sockets.some((socket) => socket.pushes < target)) {
    await new Promise((done) => setTimeout(done, 5));
  }
  setup.cpuPerMessage.push((cpuMicros(emulator.pid) - cpu) / messages);
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const setups = [await setUp(current, 'current')];
if (baseline) setups.push(await setUp(resolve(baseline), 'baseline'));
for (let i = 0; i < rounds; i++) {
  for (const setup of i % 2 ? [...setups].reverse() : setups) await round(setup);
}
const result = { members, others, messages, rounds };
for (const setup of setups) {
  const perMessage = median(setup.cpuPerMessage);
  result[setup.label] = {
    cpuPerMessageUs: Math.round(perMessage),
    cpuPerPushUs: Math.round((perMessage / members) * 10) / 10,
  };
  for (const socket of [...setup.sockets, ...setup.bystanders]) socket.ws.close();
  await setup.emulator.stop();
}
if (baseline) {
  result.baselineOverCurrent =
    Math.round((result.baseline.cpuPerMessageUs / result.current.cpuPerMessageUs) * 100) / 100;
}
console.log(JSON.stringify(result));
