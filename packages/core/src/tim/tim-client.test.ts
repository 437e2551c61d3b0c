import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TimError } from '../errors/tim-error.js';
import type { Clock } from '../runtime/clock.js';
import { manualClock } from '../runtime/manual-clock.js';
import { createRecordingLogger } from '../testing/recording-logger.js';
import { listChannels } from './channels.js';
import { sendMessage } from './messages.js';
import { waitUntil } from './test-support.js';
import { createTimClient, type KickReason, type TimClient, type TimMessage } from './tim-client.js';

const SDK_APP_ID = 1400000001;
let emulator: Emulator;
const clients: TimClient[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: 'tim-client-test-secret' });
});
afterAll(async () => {
  await emulator?.close();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.destroy()));
  emulator.clearFaults();
});

let nextUser = 0;
/** A fresh emulator user. */
function newUser(prefix = 'user'): string {
  const userId = `${prefix}${++nextUser}`;
  emulator.createUser(userId);
  return userId;
}

function newClient(
  options: {
    loginTimeoutMs?: number;
    logger?: ReturnType<typeof createRecordingLogger>;
    sdkLogLevel?: 0;
    clock?: Clock;
  } = {},
) {
  const client = createTimClient({ sdkAppId: SDK_APP_ID, server: emulator.wsUrl, ...options });
  clients.push(client);
  return client;
}

async function loggedIn(userId: string) {
  const client = newClient();
  await client.login({ userId, userSig: emulator.userSig(userId) });
  return client;
}

/** Records every event of a client, in order. */
function recordEvents(client: TimClient): string[] {
  const events: string[] = [];
  client.on('ready', () => events.push('ready'));
  client.on('not_ready', () => events.push('not_ready'));
  client.on('kicked', ({ reason }) => events.push(`kicked:${reason}`));
  client.on('credential_expired', () => events.push('credential_expired'));
  client.on('network', ({ state }) => events.push(`network:${state}`));
  return events;
}

describe('TimClient', () => {
  it('logs in with the real SDK and reaches ready', async () => {
    const userId = newUser();
    const client = newClient();
    const events = recordEvents(client);
    expect(client.state).toBe('idle');
    const userSig = emulator.userSig(userId);
    const login = client.login({ userId, userSig });
    expect(client.state).toBe('connecting');
    // Concurrent callers share one login.
    expect(client.login({ userId, userSig })).toBe(login);
    await login;
    expect(client.state).toBe('ready');
    expect(client.isReady).toBe(true);
    expect(client.userId).toBe(userId);
    expect(events).toContain('ready');
    expect(emulator.onlineUsers()).toContain(userId);
    for (const name of ['window', 'document', 'XMLHttpRequest', 'TIM'])
      expect(name in globalThis, name).toBe(false);
  });

  it('runs ten clients of one SDKAppID in one process', async () => {
    const users = Array.from({ length: 10 }, () => newUser('ten'));
    const ten = await Promise.all(users.map((userId) => loggedIn(userId)));
    expect(ten.every((client) => client.isReady)).toBe(true);
    expect(new Set(ten.map((client) => client.userId)).size).toBe(10);
    expect(emulator.onlineUsers()).toEqual(expect.arrayContaining(users));
  });

  it('refuses a forged UserSig with CREDENTIALS_UNAVAILABLE, the TIM code, and no sig in the message', async () => {
    const userId = newUser();
    const forged = `${emulator.userSig(userId).slice(0, -6)}AAAAAA`;
    const client = newClient();
    const error = await client.login({ userId, userSig: forged }).catch((e: unknown) => e);
    expect(TimError.isInstance(error)).toBe(true);
    const timError = error as TimError;
    expect(timError.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(timError.timCode).toBeGreaterThanOrEqual(70001);
    expect(timError.operation).toBe('login');
    expect(timError.message).not.toContain(forged);
    expect(client.state).toBe('idle');
  });

  it('reports an expired UserSig at login as timCode 70001', async () => {
    const userId = newUser();
    const sig = emulator.userSig(userId);
    emulator.expireUserSig(userId);
    const error = (await newClient()
      .login({ userId, userSig: sig })
      .catch((e: unknown) => e)) as TimError;
    expect(error).toMatchObject({ code: 'CREDENTIALS_UNAVAILABLE', timCode: 70001 });
    expect(error.message).toMatch(/expired; get a new UserSig/);
  });

  it('times out an unanswered login on the clock it was given', async () => {
    emulator.injectFault({ command: 'im_open_status.wslogin', delayMs: 60_000 });
    const clock = manualClock();
    const userId = newUser();
    const client = newClient({ loginTimeoutMs: 30_000, clock });
    const login = client.login({ userId, userSig: emulator.userSig(userId) });
    await waitUntil(() => clock.pending() > 0, 10_000, 'the login timeout to be set');
    clock.advance(30_000);
    await expect(login).rejects.toMatchObject({ code: 'TIMEOUT', operation: 'login' });
    expect(client.state).toBe('idle');
  });

  it('destroy() cuts a login the server does not answer, at once', async () => {
    emulator.injectFault({ command: 'im_open_status.wslogin', delayMs: 60_000 });
    const userId = newUser();
    // A clock that never fires: only destroy() can end this login.
    const client = newClient({ clock: manualClock() });
    const login = client.login({ userId, userSig: emulator.userSig(userId) });
    const outcome = login.catch((e: unknown) => e);
    await new Promise((resolve) => setImmediate(resolve));
    await client.destroy();
    expect(await outcome).toMatchObject({ code: 'STOPPED', operation: 'login' });
  });

  it('settles destroy() called from its own kicked listener, and releases socket and timers', async () => {
    const handles = () =>
      process
        .getActiveResourcesInfo()
        .filter((kind) => kind === 'TCPSocketWrap' || kind === 'Timeout').length;
    const before = handles();
    const userId = newUser();
    const client = await loggedIn(userId);
    const destroyed = new Promise<void>((resolve) => {
      client.on('kicked', () => {
        void client.destroy().then(resolve);
      });
    });
    emulator.kick(userId);
    await destroyed;
    await waitUntil(() => handles() <= before, 10_000, 'sockets and timers to be released');
  });

  it('refuses operations with NOT_CONNECTED before login', async () => {
    const error = (await listChannels(newClient()).catch((e: unknown) => e)) as TimError;
    expect(error).toMatchObject({ code: 'NOT_CONNECTED', operation: 'listChannels' });
  });

  it.each<[string, 'second-login' | 'admin', KickReason[]]>([
    ['a second login of the same user', 'second-login', ['multipleAccount', 'multipleDevice']],
    ['an admin kick', 'admin', ['kickedByAdmin']],
  ])('reports being signed out by %s', async (_what, how, reasons) => {
    const userId = newUser();
    const first = await loggedIn(userId);
    const events = recordEvents(first);
    if (how === 'second-login') await loggedIn(userId);
    else emulator.kick(userId);
    await waitUntil(() => first.state === 'kicked', 10_000, 'the kick');
    expect(events).toHaveLength(2);
    expect(events[0]).toBe('not_ready');
    expect(reasons.map((reason) => `kicked:${reason}`)).toContain(events[1]);
    // A kicked client can log in again.
    await first.login({ userId, userSig: emulator.userSig(userId) });
    expect(first.state).toBe('ready');
  });

  it('emits credential_expired when the UserSig expires during the session', async () => {
    const userId = newUser();
    const client = await loggedIn(userId);
    const events = recordEvents(client);
    emulator.expireUserSig(userId);
    // The next request gets 70001; it settles (the SDK drops requests in flight at a kick).
    const inFlight = await listChannels(client).catch((e: unknown) => e);
    expect(inFlight).toMatchObject({ name: 'TimError' });
    await waitUntil(() => events.includes('credential_expired'), 15_000, 'credential_expired');
    expect(events).toEqual(['not_ready', 'kicked:userSigExpired', 'credential_expired']);
    expect(client.state).toBe('kicked');
    const error = (await listChannels(client).catch((e: unknown) => e)) as TimError;
    expect(error.code).toBe('NOT_CONNECTED');
  });

  it('comes back by itself after the server drops the connection, and messages still arrive', async () => {
    const alice = newUser('alice');
    const bob = newUser('bob');
    const group = emulator.createGroup({ name: 'drop', owner: alice, members: [alice, bob] });
    const sender = await loggedIn(alice);
    const receiver = await loggedIn(bob);
    const events = recordEvents(receiver);
    const received: TimMessage[] = [];
    receiver.on('message', (message) => received.push(message));

    emulator.dropConnections(bob);
    await waitUntil(() => events.includes('not_ready'), 10_000, 'the drop to be noticed');
    await waitUntil(() => receiver.isReady, 20_000, 'the SDK to reconnect');
    expect(events.at(-1)).toBe('ready');
    expect(events).toContain('network:connected');

    await sendMessage(sender, { type: 'group', id: group.groupId }, 'after the drop');
    await waitUntil(() => received.some((m) => m.text === 'after the drop'), 10_000, 'the message');
  });

  it('destroy() right after login clears the timers the SDK itself would leave running', async () => {
    // tim-js-sdk starts a 1 s "not logged in" interval that only its own next tick clears;
    // an instance destroyed before that tick would keep it (and the process) alive forever.
    const timeouts = () =>
      process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timeouts();
    for (let i = 0; i < 3; i++) {
      const userId = newUser();
      const client = newClient();
      await client.login({ userId, userSig: emulator.userSig(userId) });
      await client.destroy();
    }
    await waitUntil(() => timeouts() <= before, 5_000, 'the SDK timers to be cleared');
  });

  it('logs out and in again, and destroy() leaves no socket, timer or listener behind', async () => {
    const userId = newUser();
    const handles = () =>
      process
        .getActiveResourcesInfo()
        .filter((kind) => kind === 'TCPSocketWrap' || kind === 'Timeout').length;
    const before = handles();
    const rejectionListeners = process.listenerCount('unhandledRejection');
    const logger = createRecordingLogger();
    const client = newClient({ logger, sdkLogLevel: 0 });
    client.on('ready', () => {});
    const userSig = emulator.userSig(userId);
    await client.login({ userId, userSig });
    await client.logout();
    expect(client.state).toBe('idle');
    expect(client.userId).toBeUndefined();
    await client.login({ userId, userSig: emulator.userSig(userId) });
    expect(client.isReady).toBe(true);
    expect(handles()).toBeGreaterThan(before);

    await client.destroy();
    await client.destroy();
    expect(client.state).toBe('destroyed');
    expect(client.listenerCount('ready')).toBe(0);
    expect(process.listenerCount('unhandledRejection')).toBe(rejectionListeners);
    await waitUntil(() => handles() <= before, 10_000, 'sockets and timers to be released');
    await expect(client.login({ userId, userSig: emulator.userSig(userId) })).rejects.toMatchObject(
      { code: 'STOPPED' },
    );
    // The SDK logged everything (level 0) into the logger, without the UserSig.
    expect(logger.lines.filter((line) => line.level === 'debug').length).toBeGreaterThan(20);
    expect(JSON.stringify(logger.lines)).not.toContain(userSig);
  });
});
