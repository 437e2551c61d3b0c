import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conversationKey } from '../conversation/conversation-ref.js';
import { ClawlinkError } from '../errors/clawlink-error.js';
import { CredentialError } from '../errors/credential-error.js';
import type { Logger } from '../logging/logger.js';
import { createRecordingLogger } from '../testing/recording-logger.js';
import { waitUntil } from '../tim/test-support.js';
import { createTimClient, type TimClient } from '../tim/tim-client.js';
import { type AccountRuntime, createAccountRuntime } from './account-runtime.js';
import type { AccountState, AccountStatus } from './account-status.js';
import type { Clock } from './clock.js';
import { manualClock } from './manual-clock.js';

const SDK_APP_ID = 1400000100;
const SECRET_KEY = 'runtime-test-secret';

let emulator: Emulator;
let stateDir: string;
const runtimes: AccountRuntime[] = [];
const clients: TimClient[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
});

afterAll(async () => {
  await emulator.close();
});

afterEach(async () => {
  emulator.clearFaults();
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
  await Promise.all(clients.splice(0).map((c) => c.destroy()));
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

function freshStateDir(): string {
  stateDir = mkdtempSync(join(tmpdir(), 'clawlink-runtime-'));
  return stateDir;
}

function secretKeyRuntime(
  userId: string,
  extra: Record<string, unknown> = {},
  clock?: Clock,
  logger?: Logger,
): AccountRuntime {
  const runtime = createAccountRuntime({
    ...(clock ? { clock } : {}),
    ...(logger ? { logger } : {}),
    config: {
      accountId: userId,
      server: emulator.wsUrl,
      stateDir: stateDir ?? freshStateDir(),
      credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      ...extra,
    },
  });
  runtimes.push(runtime);
  return runtime;
}

/** A runtime whose credentials come from the emulator's exchange for a new agent. */
function exchangeRuntime(
  accountId: string,
  options: { claimed: boolean; fetch?: typeof fetch; credentialRetry?: object },
) {
  freshStateDir();
  const agent = emulator.registerAgent({ agentId: `agent_${accountId}` });
  if (options.claimed) emulator.claimAgent(agent.agentId);
  const runtime = createAccountRuntime({
    config: {
      accountId,
      server: emulator.wsUrl,
      stateDir,
      credentials: {
        kind: 'exchange',
        endpoint: emulator.adminUrl,
        agentId: agent.agentId,
        apiKey: agent.apiKey,
      },
      ...(options.credentialRetry ? { credentialRetry: options.credentialRetry } : {}),
    },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  runtimes.push(runtime);
  return { agent, runtime };
}

/** Counts requests the runtime makes to the credential exchange. */
function countingFetch(): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    fetch: (input, init) => {
      calls += 1;
      return fetch(input, init);
    },
  };
}

function waitForState(runtime: AccountRuntime, state: AccountState): Promise<AccountStatus> {
  if (runtime.status().state === state) return Promise.resolve(runtime.status());
  return new Promise((resolve) => {
    const onStatus = (status: AccountStatus) => {
      if (status.state !== state) return;
      runtime.off('status', onStatus);
      resolve(status);
    };
    runtime.on('status', onStatus);
  });
}

async function rawClient(userId: string): Promise<TimClient> {
  const client = createTimClient({ sdkAppId: SDK_APP_ID, server: emulator.wsUrl });
  clients.push(client);
  await client.login({ userId, userSig: emulator.userSig(userId) });
  return client;
}

describe('AccountRuntime', () => {
  it('starts half-alive while unclaimed, and the next operation after the claim connects on its own', async () => {
    const exchange = countingFetch();
    const { agent, runtime } = exchangeRuntime('unclaimed', {
      claimed: false,
      fetch: exchange.fetch,
      credentialRetry: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    });

    await runtime.start();
    expect(runtime.status()).toMatchObject({ state: 'half-alive', reason: 'unclaimed' });
    expect(runtime.status().retryAt).toBeGreaterThan(Date.now());
    expect(runtime.status().detail).not.toContain(agent.apiKey);
    await expect(runtime.ensureConnected()).rejects.toSatisfy(
      (e) => CredentialError.isInstance(e) && e.reason === 'unclaimed',
    );

    await expect(runtime.channels.list()).rejects.toSatisfy(
      (e) => CredentialError.isInstance(e) && e.reason === 'unclaimed',
    );

    emulator.claimAgent(agent.agentId);
    // The next operation connects on its own, long before the background retry is due.
    const channel = await runtime.channels.create({ name: 'claimed', skill: 'Say hello.' });
    expect(runtime.status()).toMatchObject({ state: 'connected', userId: agent.userId });
    expect(await runtime.channels.list()).toEqual([expect.objectContaining({ id: channel.id })]);
    await runtime.channels.setSkill(channel.id, 'Say hello, then goodbye.');
    expect(runtime.store.getChannel(channel.id)).toMatchObject({
      name: 'claimed',
      skill: 'Say hello, then goodbye.',
    });
    expect(await runtime.channels.getSkill(channel.id)).toBe('Say hello, then goodbye.');
  });

  it('keeps trying in the background while unclaimed, and connects once claimed', async () => {
    const { agent, runtime } = exchangeRuntime('background', {
      claimed: false,
      credentialRetry: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    await runtime.start();
    expect(runtime.status()).toMatchObject({ state: 'half-alive', reason: 'unclaimed' });
    const retries: number[] = [];
    runtime.on('status', (s) => {
      if (s.retryAt) retries.push(s.retryAt);
    });
    await new Promise<void>((resolve) => {
      const onStatus = () => {
        if (retries.length < 2) return;
        runtime.off('status', onStatus);
        resolve();
      };
      runtime.on('status', onStatus);
    });
    emulator.claimAgent(agent.agentId);
    await waitForState(runtime, 'connected');
    expect(emulator.onlineUsers()).toContain(agent.userId);
  });

  it('shares one login among 20 concurrent operations', async () => {
    const exchange = countingFetch();
    const { agent, runtime } = exchangeRuntime('single-flight', {
      claimed: true,
      fetch: exchange.fetch,
    });
    // Started, but not yet connected: make the first start fail softly by stopping TIM logins.
    emulator.injectFault({ command: 'im_open_status.wslogin', errorCode: 6012, times: 1 });
    await runtime.start();
    expect(runtime.status().state).not.toBe('connected');
    const loginsBefore = emulator.loginCount(agent.userId);

    const results = await Promise.all(Array.from({ length: 20 }, () => runtime.ensureConnected()));
    expect(new Set(results).size).toBe(1);
    expect(results[0]?.isReady).toBe(true);
    expect(emulator.loginCount(agent.userId) - loginsBefore).toBe(1);
    expect(exchange.calls()).toBe(1);
  });

  it('replaces a UserSig that expires mid-session with a new one', async () => {
    const exchange = countingFetch();
    const { agent, runtime } = exchangeRuntime('expiry', { claimed: true, fetch: exchange.fetch });
    await runtime.start();
    expect(runtime.status().state).toBe('connected');
    const before = exchange.calls();

    const reasons: Array<string | undefined> = [];
    runtime.on('status', (s) => reasons.push(s.reason));
    const reconnected = new Promise<void>((resolve) => {
      runtime.on('status', (s) => {
        if (s.state === 'connected' && reasons.includes('credential_expired')) resolve();
      });
    });
    emulator.expireUserSig(agent.userId);
    await reconnected;
    expect(exchange.calls()).toBeGreaterThan(before);
    expect((await runtime.ensureConnected()).isReady).toBe(true);
  });

  it('reconnects after the connection drops, and still receives messages', async () => {
    freshStateDir();
    const runtime = secretKeyRuntime('drop_alice');
    await runtime.start();
    emulator.createUser('drop_bob');
    const group = emulator.createGroup({
      name: 'drops',
      owner: 'drop_bob',
      members: ['drop_alice'],
    });

    emulator.dropConnections('drop_alice');
    await waitForState(runtime, 'reconnecting');
    await waitForState(runtime, 'connected');
    // A round trip through the new session, so the SDK has finished its post-login sync.
    // (A message pushed inside that window is not surfaced by the SDK; catch-up from the
    // watermark is what recovers such messages.)
    await runtime.channels.list();

    const received = new Promise((resolve) => runtime.once('message', resolve));
    emulator.postGroupMessage({
      groupId: group.groupId,
      from: 'drop_bob',
      content: { text: 'still there?' },
    });
    await expect(received).resolves.toMatchObject({ text: 'still there?', from: 'drop_bob' });
  });

  it('reports a kick by another login of the same user and does not fight over it', async () => {
    freshStateDir();
    const runtime = secretKeyRuntime('kick_alice');
    await runtime.start();
    const kicked = new Promise((resolve) => runtime.once('kicked', resolve));

    await rawClient('kick_alice');
    await expect(kicked).resolves.toMatchObject({ accountId: 'kick_alice' });
    expect(runtime.status()).toMatchObject({ state: 'half-alive', reason: 'kicked' });
    await expect(runtime.ensureConnected()).rejects.toSatisfy(
      (e) => ClawlinkError.isInstance(e) && e.code === 'KICKED',
    );
    expect(emulator.onlineUsers()).toContain('kick_alice');

    await runtime.resume();
    expect(runtime.status().state).toBe('connected');
  });

  it('keeps the ledger and watermarks across a restart on the same state directory', async () => {
    freshStateDir();
    const runtime = secretKeyRuntime('ledger_alice');
    await runtime.start();
    emulator.createUser('ledger_bob');
    const group = emulator.createGroup({
      name: 'ledger',
      owner: 'ledger_bob',
      members: ['ledger_alice'],
    });
    const received = new Promise<Parameters<AccountRuntime['markHandled']>[0]>((resolve) =>
      runtime.once('message', resolve),
    );
    emulator.postGroupMessage({
      groupId: group.groupId,
      from: 'ledger_bob',
      content: { text: 'one' },
    });
    const message = await received;
    runtime.markHandled(message);
    await runtime.stop();
    runtimes.splice(runtimes.indexOf(runtime), 1);

    const again = secretKeyRuntime('ledger_alice');
    await again.start();
    expect(again.store.getLedgerEntry(message.id)).toMatchObject({ status: 'handled' });
    expect(again.store.getWatermark(conversationKey(message.conversation))).toMatchObject({
      messageId: message.id,
    });
  });

  it('stop() cuts a login the server does not answer, and start() and waiting operations end at once', async () => {
    freshStateDir();
    emulator.injectFault({ command: 'im_open_status.wslogin', delayMs: 120_000 });
    // A clock that never fires: only stop() can end this login (its timeout is 30 s).
    const logger = createRecordingLogger();
    const runtime = secretKeyRuntime('hang_alice', {}, manualClock(), logger);
    const started = runtime.start();
    const waiting = runtime.ensureConnected().catch((e: unknown) => e);
    // The TIM client is logging in (its socket opens; the server holds the login back).
    await waitUntil(() =>
      logger.lines.some((line) => (line.obj as { to?: string } | undefined)?.to === 'connecting'),
    );
    await runtime.stop();
    await started;
    expect(await waiting).toSatisfy((e) => ClawlinkError.isInstance(e) && e.code === 'STOPPED');
    expect(runtime.status().state).toBe('stopped');
  });

  it('logs in again at once when TIM gives up on a second drop right after a reconnect', async () => {
    freshStateDir();
    // A clock that never fires: no grace period or retry timer can bring the account back.
    const runtime = secretKeyRuntime(
      'redrop_alice',
      { reconnect: { graceMs: 20_000 } },
      manualClock(),
    );
    await runtime.start();
    emulator.createUser('redrop_bob');
    const received = new Promise((resolve) => runtime.once('message', resolve));

    emulator.dropConnections('redrop_alice');
    await waitForState(runtime, 'reconnecting');
    await waitForState(runtime, 'connected');
    // Within a second of the reconnect: the SDK gives up on this socket for good.
    emulator.dropConnections('redrop_alice');
    const reconnecting = await waitForState(runtime, 'reconnecting');
    expect(reconnecting.reason).toBe('network');
    await waitForState(runtime, 'connected');
    await runtime.channels.list();
    emulator.postC2CMessage({ from: 'redrop_bob', to: 'redrop_alice', content: { text: 'back?' } });
    await expect(received).resolves.toMatchObject({ text: 'back?', from: 'redrop_bob' });
  });

  it('goes reconnecting as soon as an operation meets an expired UserSig, and says to retry', async () => {
    freshStateDir();
    const runtime = secretKeyRuntime('sigop_alice');
    await runtime.start();
    emulator.expireUserSig('sigop_alice');
    const error = await runtime.channels.list().catch((e: unknown) => e);
    expect(error).toSatisfy((e) => ClawlinkError.isInstance(e) && e.code === 'NOT_CONNECTED');
    expect((error as Error).message).toMatch(/retry/i);
    expect((error as Error).message).not.toMatch(/log in again/i);
    expect(['reconnecting', 'connected']).toContain(runtime.status().state);
    if (runtime.status().state === 'reconnecting') {
      expect(runtime.status().reason).toBe('credential_expired');
    }
    await waitForState(runtime, 'connected');
    expect(await runtime.channels.list()).toEqual([]);
  });

  it('keeps retrying a secretKey account with fresh UserSigs after two expired ones in a row', async () => {
    freshStateDir();
    // A clock 5 s behind: every UserSig it signs is older than the expiry mark below.
    const clock = manualClock(Date.now() - 5_000);
    const runtime = secretKeyRuntime('twice_alice', {}, clock);
    emulator.createUser('twice_alice');
    emulator.expireUserSig('twice_alice');
    await runtime.start();
    expect(runtime.status()).toMatchObject({
      state: 'reconnecting',
      reason: 'credential_expired',
    });
    expect(runtime.status().retryAt).toBeGreaterThan(clock.now());
    const connected = waitForState(runtime, 'connected');
    clock.advance(60_000);
    await connected;
  });

  it('is stopped idempotently and refuses operations afterwards', async () => {
    freshStateDir();
    const runtime = secretKeyRuntime('stop_alice');
    await runtime.start();
    await Promise.all([runtime.stop(), runtime.stop()]);
    await runtime.stop();
    expect(runtime.status().state).toBe('stopped');
    await expect(runtime.ensureConnected()).rejects.toSatisfy(
      (e) => ClawlinkError.isInstance(e) && e.code === 'STOPPED',
    );
  });
});
