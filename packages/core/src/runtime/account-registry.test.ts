import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClawlinkError } from '../errors/clawlink-error.js';
import { ConfigError } from '../errors/config-error.js';
import { createMemoryStateStore } from '../state/memory-state-store.js';
import { stateFileName } from '../state/state-file.js';
import { waitUntil } from '../tim/test-support.js';
import { createAccountRegistry, type StartProgress } from './account-registry.js';
import type { InboundMessage } from './account-runtime.js';
import { textOf, useEmulatorRuntimes } from './test-support/emulator-runtime.js';

/** The accounts share one state dir for the whole file. */
const env = useEmulatorRuntimes({
  sdkAppId: 1400000200,
  secretKey: 'registry-test-secret',
  name: 'registry',
  cleanup: 'all',
});
let stateDir: string;

beforeAll(() => {
  stateDir = env.stateDir();
});

const accountConfig = (userId: string) => env.accountConfig(userId, { stateDir });

describe('AccountRegistry', () => {
  it('runs 50 accounts of one app in one process, each with its own session and state file', async () => {
    const registry = createAccountRegistry();
    const userIds = Array.from({ length: 50 }, (_, i) => `fleet_${String(i).padStart(2, '0')}`);
    for (const userId of userIds) registry.add(accountConfig(userId));

    await registry.startAll();
    expect(registry.statuses().map((s) => s.state)).toEqual(userIds.map(() => 'connected'));
    expect(new Set(env.emulator.onlineUsers())).toEqual(new Set(userIds));
    expect(new Set(registry.list().map((r) => r.store.file)).size).toBe(50);

    env.emulator.createUser('fleet_admiral');
    const group = env.emulator.createGroup({
      name: 'fleet',
      owner: 'fleet_admiral',
      members: userIds,
    });
    const heard = new Set<string>();
    const everyone = new Promise<void>((resolve) => {
      registry.on('message', (message: InboundMessage) => {
        if (message.text === 'all hands') heard.add(message.accountId);
        if (heard.size === userIds.length) resolve();
      });
    });
    env.emulator.postGroupMessage({
      groupId: group.groupId,
      from: 'fleet_admiral',
      content: { text: 'all hands' },
    });
    await everyone;

    await registry.stopAll();
    expect(registry.statuses().every((s) => s.state === 'stopped')).toBe(true);
    expect(env.emulator.onlineUsers().filter((u) => u.startsWith('fleet_'))).toEqual([]);
  });

  it('logs in at most maxConcurrentLogins accounts at once, in order, reporting progress, until all are ready', async () => {
    const registry = createAccountRegistry({
      maxConcurrentLogins: 3,
      createStore: () => createMemoryStateStore(),
    });
    const userIds = Array.from({ length: 12 }, (_, i) => `pool_${String(i).padStart(2, '0')}`);
    for (const userId of userIds) registry.add(accountConfig(userId));
    // Slow logins, so every login the pool lets through is still in flight when the next may go.
    env.emulator.injectFault({ command: 'im_open_status.wslogin', delayMs: 150, times: 12 });
    const connecting = new Set<string>();
    const began: string[] = [];
    let most = 0;
    registry.on('status', (status) => {
      if (status.state === 'connecting') {
        connecting.add(status.accountId);
        began.push(status.accountId);
        most = Math.max(most, connecting.size);
      } else connecting.delete(status.accountId);
    });
    const progress: StartProgress[] = [];
    registry.on('startProgress', (event) => progress.push(event));

    await registry.startAll();
    expect(most).toBe(3);
    expect(began).toEqual(userIds);
    expect(registry.statuses().map((s) => s.state)).toEqual(userIds.map(() => 'connected'));
    expect(progress.map((p) => p.settled)).toEqual(userIds.map((_, i) => i + 1));
    expect(progress.every((p) => p.inFlight < 3 && p.failed === 0 && p.total === 12)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ waiting: 0, inFlight: 0 });
    expect(progress.map((p) => p.status.state)).toEqual(userIds.map(() => 'connected'));
    await registry.stopAll();
  });

  it('refuses a maxConcurrentLogins that is not a positive integer, and createStore with sharedStateFile', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => createAccountRegistry({ maxConcurrentLogins: bad })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    expect(() =>
      createAccountRegistry({
        createStore: () => createMemoryStateStore(),
        sharedStateFile: join(stateDir, 'both.sqlite'),
      }),
    ).toThrow(/either createStore or sharedStateFile/);
  });

  it('keeps every account in one shared state file when asked, each seeing only its own rows', async () => {
    const file = join(stateDir, 'fleet-shared.sqlite');
    const registry = createAccountRegistry({ sharedStateFile: file });
    const userIds = Array.from({ length: 10 }, (_, i) => `shared_${i}`);
    for (const userId of userIds) registry.add(accountConfig(userId));
    await registry.startAll();
    expect(registry.statuses().every((s) => s.state === 'connected')).toBe(true);
    expect(new Set(registry.list().map((r) => r.store.file))).toEqual(new Set([file]));
    expect(userIds.some((id) => existsSync(join(stateDir, `${id}.sqlite`)))).toBe(false);

    env.emulator.createUser('shared_boss');
    const heard = new Map<string, string>();
    const everyone = new Promise<void>((resolve) => {
      registry.on('message', (message: InboundMessage) => {
        heard.set(message.accountId, message.id);
        if (heard.size === userIds.length) resolve();
      });
    });
    for (const userId of userIds) {
      env.emulator.postC2CMessage({ from: 'shared_boss', to: userId, content: { text: 'hi' } });
    }
    await everyone;
    for (const runtime of registry.list()) {
      const own = heard.get(runtime.accountId) as string;
      expect(runtime.store.listUnhandled().map((e) => e.messageId)).toEqual([own]);
    }
    const stores = registry.list().map((r) => r.store);
    await registry.close();
    for (const store of stores) expect(() => store.listUnhandled()).toThrow(/is closed/);
  });

  it('answers through the pipeline for an account added with a dispatch, its ledger in the shared file', async () => {
    const file = join(stateDir, 'fleet-dispatch.sqlite');
    const registry = createAccountRegistry({ sharedStateFile: file });
    const quiet = registry.add(accountConfig('disp_quiet'));
    const agent = registry.add(accountConfig('disp_agent'), {
      dispatch: (event) => `heard: ${event.text}`,
    });
    const events: InboundMessage[] = [];
    registry.on('message', (message: InboundMessage) => events.push(message));
    await registry.startAll();
    env.emulator.createUser('disp_boss');
    for (const to of ['disp_agent', 'disp_quiet']) {
      env.emulator.postC2CMessage({ from: 'disp_boss', to, content: { text: 'ping' } });
    }
    await waitUntil(
      () => env.directRepliesOf('disp_boss', 'disp_agent').length === 1 && events.length === 1,
      10_000,
      'the reply and the event',
    );
    expect(textOf(env.directRepliesOf('disp_boss', 'disp_agent')[0])).toBe('heard: ping');
    // The account without a dispatch emits its message instead; only it leaves one unhandled.
    expect(events.map((m) => m.accountId)).toEqual(['disp_quiet']);
    await waitUntil(() => agent.metrics().replied === 1, 5_000, 'settled');
    expect(quiet.store.listUnhandled()).toHaveLength(1);
    expect(agent.store.listUnhandled()).toEqual([]);
    expect(agent.store.file).toBe(file);
    await registry.close();
  });

  it('refuses a bad config with every problem listed, and a duplicate accountId', () => {
    const registry = createAccountRegistry({ createStore: () => createMemoryStateStore() });
    expect(() => registry.add({ accountId: '', credentials: { kind: 'nope' } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    try {
      registry.add({ accountId: '', credentials: { kind: 'nope' } });
    } catch (error) {
      expect(ConfigError.isInstance(error) && error.issues.length).toBeGreaterThanOrEqual(2);
    }
    registry.add(accountConfig('dup_one'));
    expect(() => registry.add(accountConfig('dup_one'))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    try {
      registry.require('missing');
      expect.unreachable();
    } catch (error) {
      expect(ClawlinkError.isInstance(error) && error.message).toContain('dup_one');
    }
  });

  it("opens a new account's own file at its first write, and still refuses a damaged one before it logs in", async () => {
    const damaged = join(stateDir, stateFileName('late_damaged'));
    const bytes = Buffer.concat([
      Buffer.from('SQLite format 3\0', 'latin1'),
      Buffer.alloc(8192, 0xab),
    ]);
    writeFileSync(damaged, bytes, { mode: 0o600 });
    const registry = createAccountRegistry();
    const fresh = registry.add(accountConfig('late_fresh'));
    const refused = registry.add(accountConfig('late_damaged'));
    await expect(registry.startAll()).rejects.toMatchObject({
      name: 'StateStoreError',
      message: expect.stringMatching(/damaged/),
    });
    // The damaged account never logged in, so it took no message; its file is as it was.
    expect(refused.status().state).toBe('stopped');
    expect(env.emulator.onlineUsers()).not.toContain('late_damaged');
    expect(readFileSync(damaged).equals(bytes)).toBe(true);

    // The new account is ready with no file yet...
    expect(fresh.status().state).toBe('connected');
    const file = fresh.store.file as string;
    expect(existsSync(file)).toBe(false);
    // ...until its first message is recorded in it.
    env.emulator.createUser('late_boss');
    const heard = new Promise<InboundMessage>((resolve) => registry.once('message', resolve));
    env.emulator.postC2CMessage({ from: 'late_boss', to: 'late_fresh', content: { text: 'hi' } });
    const message = await heard;
    expect(fresh.store.getLedgerEntry(message.id)?.status).toBe('seen');
    expect([statSync(file).size > 0, statSync(file).mode & 0o777]).toEqual([true, 0o600]);
    await registry.close();
  });

  it('removes an account: stopped and forgotten', async () => {
    const registry = createAccountRegistry({ createStore: () => createMemoryStateStore() });
    const runtime = registry.add(accountConfig('removable'));
    await runtime.start();
    expect(runtime.status().state).toBe('connected');
    expect(await registry.remove('removable')).toBe(true);
    expect(runtime.status().state).toBe('stopped');
    expect(registry.get('removable')).toBeUndefined();
    expect(await registry.remove('removable')).toBe(false);
  });
});
