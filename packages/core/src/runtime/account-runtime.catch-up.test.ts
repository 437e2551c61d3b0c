import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Dispatch } from '../pipeline/inbound-event.js';
import { createRecordingLogger } from '../testing/recording-logger.js';
import { waitUntil } from '../tim/test-support.js';
import { type AccountRuntime, createAccountRuntime } from './account-runtime.js';

const SDK_APP_ID = 1400000403;
const SECRET_KEY = 'catch-up-test-secret';

let emulator: Emulator;
const stateDirs: string[] = [];
const runtimes: AccountRuntime[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  emulator.createUser('alice', { nick: 'Alice' });
});

afterAll(async () => {
  await emulator.close();
});

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
  for (const dir of stateDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A dispatch that answers nothing and records the text of every message, in dispatch order. */
function recordingDispatch() {
  const texts: string[] = [];
  const dispatch: Dispatch = (event) => {
    for (const m of event.messages) texts.push(m.text.replace(/^@\S+\s*/, ''));
  };
  return { dispatch, texts };
}

function agentRuntime(
  userId: string,
  stateDir: string,
  dispatch: Dispatch,
  catchUp: Record<string, unknown>,
  logger = createRecordingLogger(),
): AccountRuntime {
  const runtime = createAccountRuntime({
    config: {
      accountId: userId,
      server: emulator.wsUrl,
      stateDir,
      credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
      debounce: { windowMs: 0 },
      catchUp,
    },
    logger,
    dispatch,
  });
  runtimes.push(runtime);
  return runtime;
}

/**
 * Starts `agent` once (the first start is catch-up's baseline), stops it, posts `count`
 * mentions into a fresh group meanwhile, and returns what a second start must catch up.
 */
async function missWhileStopped(agent: string, count: number) {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-catch-up-'));
  stateDirs.push(stateDir);
  const groupId = `cu-${agent}`;
  emulator.createUser(agent);
  emulator.createGroup({ groupId, name: groupId, owner: 'alice', members: ['alice', agent] });
  const first = agentRuntime(agent, stateDir, recordingDispatch().dispatch, {});
  await first.start();
  await first.stop();
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const token = `m${i}`;
    emulator.postGroupMessage({
      groupId,
      from: 'alice',
      content: { text: `@${agent} ${token}`, atUserIds: [agent] },
    });
    tokens.push(token);
  }
  return { stateDir, tokens };
}

describe('catch-up of a group', () => {
  // Found by this test: catch-up paged group history by message id, which fetchHistory looks for
  // only among the newest 300 messages: deeper, the group failed and nothing was caught up.
  it('catches up 10 000 missed messages, each once and in order, paging by sequence', async () => {
    const agent = 'cubot1';
    const { stateDir, tokens } = await missWhileStopped(agent, 10_000);
    const { dispatch, texts } = recordingDispatch();
    const runtime = agentRuntime(agent, stateDir, dispatch, { maxMessages: 10_000 });
    await runtime.start();
    await waitUntil(() => texts.length >= tokens.length, 60_000, 'all caught up');
    expect(texts).toEqual(tokens);
    expect(runtime.metrics().caughtUp).toBe(10_000);
  }, 60_000);

  it('keeps the newest catchUp.maxMessages and says in one log line how many it skipped', async () => {
    const agent = 'cubot2';
    const { stateDir, tokens } = await missWhileStopped(agent, 320);
    const { dispatch, texts } = recordingDispatch();
    const logger = createRecordingLogger();
    const runtime = agentRuntime(agent, stateDir, dispatch, { maxMessages: 120 }, logger);
    await runtime.start();
    await waitUntil(() => texts.length >= 120, 30_000, 'the newest 120 caught up');
    expect(texts).toEqual(tokens.slice(-120));
    const skipped = logger.lines.filter((line) => line.msg.startsWith('catch-up skipped'));
    expect(skipped.map((line) => line.obj)).toEqual([
      { accountId: agent, conversation: `group:cu-${agent}`, skipped: 200, kept: 120 },
    ]);
  }, 60_000);
});

describe('catch-up of a direct chat', () => {
  it('keeps the newest catchUp.maxMessages of those missed while stopped, in order', async () => {
    const agent = 'cubot3';
    emulator.createUser(agent);
    const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-catch-up-'));
    stateDirs.push(stateDir);
    const first = agentRuntime(agent, stateDir, recordingDispatch().dispatch, {});
    await first.start();
    await first.stop();
    const tokens = Array.from({ length: 80 }, (_, i) => `d${i}`);
    for (const token of tokens) {
      emulator.postC2CMessage({ from: 'alice', to: agent, content: { text: token } });
    }
    const { dispatch, texts } = recordingDispatch();
    const logger = createRecordingLogger();
    const runtime = agentRuntime(agent, stateDir, dispatch, { maxMessages: 50 }, logger);
    await runtime.start();
    await waitUntil(() => texts.length >= 50, 30_000, 'the newest 50 caught up');
    // One more round trip: nothing else (e.g. synced by TIM at login) is dispatched meanwhile.
    await runtime.messages.send({ type: 'c2c', id: 'alice' }, 'sync point');
    expect(texts).toEqual(tokens.slice(-50));
    expect(logger.lines.filter((line) => line.msg.startsWith('catch-up skipped'))).toHaveLength(1);
  }, 60_000);

  // Found by this test: a direct chat was paged by message id, which fetchHistory looked for only
  // among the newest 300 messages: older ones were dropped without a log line.
  it('catches up 1 000 missed messages, each once and in order, walking back with the cursor', async () => {
    const agent = 'cubot4';
    emulator.createUser(agent);
    const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-catch-up-'));
    stateDirs.push(stateDir);
    const first = agentRuntime(agent, stateDir, recordingDispatch().dispatch, {});
    await first.start();
    await first.stop();
    const tokens = Array.from({ length: 1000 }, (_, i) => `d${i}`);
    for (const token of tokens) {
      emulator.postC2CMessage({ from: 'alice', to: agent, content: { text: token } });
    }
    const { dispatch, texts } = recordingDispatch();
    const logger = createRecordingLogger();
    const runtime = agentRuntime(agent, stateDir, dispatch, { maxMessages: 1000 }, logger);
    await runtime.start();
    const report = () => logger.lines.find((line) => line.msg.startsWith('caught up'));
    await waitUntil(() => report() !== undefined, 30_000, 'the catch-up');
    expect(report()?.obj).toMatchObject({ delivered: 1000, skipped: 0, failed: 0 });
    await waitUntil(() => texts.length >= tokens.length, 30_000, 'all dispatched');
    await runtime.messages.send({ type: 'c2c', id: 'alice' }, 'sync point');
    expect(texts).toEqual(tokens);
    expect(runtime.metrics().caughtUp).toBe(1000);
    expect(logger.lines.filter((line) => line.msg.startsWith('catch-up skipped'))).toEqual([]);
  }, 60_000);
});
