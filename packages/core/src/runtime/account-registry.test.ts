import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClawlinkError } from '../errors/clawlink-error.js';
import { ConfigError } from '../errors/config-error.js';
import { createMemoryStateStore } from '../state/memory-state-store.js';
import { createAccountRegistry } from './account-registry.js';
import type { InboundMessage } from './account-runtime.js';

const SDK_APP_ID = 1400000200;
const SECRET_KEY = 'registry-test-secret';

let emulator: Emulator;
let stateDir: string;

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  stateDir = mkdtempSync(join(tmpdir(), 'clawlink-registry-'));
});

afterAll(async () => {
  await emulator.close();
  rmSync(stateDir, { recursive: true, force: true });
});

function accountConfig(userId: string) {
  return {
    accountId: userId,
    server: emulator.wsUrl,
    stateDir,
    credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
  };
}

describe('AccountRegistry', () => {
  it('runs 50 accounts of one app in one process, each with its own session and state file', async () => {
    const registry = createAccountRegistry();
    const userIds = Array.from({ length: 50 }, (_, i) => `fleet_${String(i).padStart(2, '0')}`);
    for (const userId of userIds) registry.add(accountConfig(userId));

    await registry.startAll();
    expect(registry.statuses().map((s) => s.state)).toEqual(userIds.map(() => 'connected'));
    expect(new Set(emulator.onlineUsers())).toEqual(new Set(userIds));
    expect(new Set(registry.list().map((r) => r.store.file)).size).toBe(50);

    emulator.createUser('fleet_admiral');
    const group = emulator.createGroup({ name: 'fleet', owner: 'fleet_admiral', members: userIds });
    const heard = new Set<string>();
    const everyone = new Promise<void>((resolve) => {
      registry.on('message', (message: InboundMessage) => {
        if (message.text === 'all hands') heard.add(message.accountId);
        if (heard.size === userIds.length) resolve();
      });
    });
    emulator.postGroupMessage({
      groupId: group.groupId,
      from: 'fleet_admiral',
      content: { text: 'all hands' },
    });
    await everyone;

    await registry.stopAll();
    expect(registry.statuses().every((s) => s.state === 'stopped')).toBe(true);
    expect(emulator.onlineUsers().filter((u) => u.startsWith('fleet_'))).toEqual([]);
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
