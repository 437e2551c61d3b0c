import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, type EmulatorMessage, startEmulator } from '@clawlink/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationRef } from '../conversation/conversation-ref.js';
import type { Dispatch, InboundEvent } from '../pipeline/inbound-event.js';
import { answeredIds } from '../pipeline/reply-format.js';
import { createRecordingLogger } from '../testing/recording-logger.js';
import { waitUntil } from '../tim/test-support.js';
import { type AccountRuntime, createAccountRuntime } from './account-runtime.js';

const SDK_APP_ID = 1400000402;
const SECRET_KEY = 'pipeline-faults-test-secret';

let emulator: Emulator;
let emulatorDir: string;
const stateDirs: string[] = [];
const runtimes: AccountRuntime[] = [];

const startOnFile = (port = 0) =>
  startEmulator({
    sdkAppId: SDK_APP_ID,
    secretKey: SECRET_KEY,
    dbPath: join(emulatorDir, 'emulator.sqlite'),
    port,
  });

beforeAll(async () => {
  emulatorDir = mkdtempSync(join(tmpdir(), 'clawlink-faults-emulator-'));
  emulator = await startOnFile();
  emulator.createUser('alice', { nick: 'Alice' });
  emulator.createUser('carol', { nick: 'Carol' });
});

afterAll(async () => {
  await emulator.close();
  rmSync(emulatorDir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
  for (const dir of stateDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

let rooms = 0;
/** A fresh group with alice (and `others`) and the agent as members. */
function room(agent: string, others: string[] = []): string {
  const groupId = `frm${++rooms}`;
  emulator.createGroup({
    groupId,
    name: `Fault room ${rooms}`,
    owner: 'alice',
    members: ['alice', agent, ...others],
  });
  return groupId;
}

function agentRuntime(
  userId: string,
  dispatch: Dispatch | undefined,
  extra: Record<string, unknown> = {},
  logger = createRecordingLogger(),
): AccountRuntime {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-faults-'));
  stateDirs.push(stateDir);
  const runtime = createAccountRuntime({
    config: {
      accountId: userId,
      server: emulator.wsUrl,
      stateDir,
      credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
      onKicked: 'reconnect',
      reconnect: { initialDelayMs: 50, maxDelayMs: 300, graceMs: 2_000 },
      debounce: { windowMs: 0 },
      ...extra,
    },
    logger,
    ...(dispatch ? { dispatch } : {}),
  });
  runtimes.push(runtime);
  return runtime;
}

/** Every message the agent sent in `conversation`, oldest first, as the emulator stored it. */
function agentMessages(conversation: ConversationRef, agent: string): EmulatorMessage[] {
  const history =
    conversation.type === 'group'
      ? emulator.groupHistory(conversation.id, 1000)
      : emulator.c2cHistory(conversation.id, agent, 1000);
  return history.filter((m) => m.from === agent);
}

/**
 * A dispatch that answers every event with the tokens of its messages and remembers which TIM
 * message id carried which token, so the reply markers in the emulator's history can be read
 * back as tokens.
 */
function tokenDispatch() {
  const tokenOf = new Map<string, string>();
  const dispatches = new Map<string, number>();
  const dispatch: Dispatch = (event: InboundEvent) => {
    for (const m of event.messages) {
      const token = m.text.replace(/^@\S+\s*/, '');
      tokenOf.set(m.id, token);
      dispatches.set(token, (dispatches.get(token) ?? 0) + 1);
    }
    return `ack ${event.messages.map((m) => tokenOf.get(m.id)).join(' ')}`;
  };
  /** The tokens answered in `conversation`, in the order of the agent's replies' markers. */
  const answered = (conversation: ConversationRef, agent: string): string[] =>
    agentMessages(conversation, agent).flatMap((m) =>
      answeredIds(m.cloudCustomData).map((id) => tokenOf.get(id) ?? `unknown:${id}`),
    );
  return { dispatch, dispatches, answered };
}

const groupRef = (id: string): ConversationRef => ({ type: 'group', id });
const c2cRef = (id: string): ConversationRef => ({ type: 'c2c', id });

/** Posts `count` numbered messages into each conversation, mentioning the agent in groups. */
function postRound(
  agent: string,
  groups: string[],
  round: number,
  count: number,
  expected: Map<string, string[]>,
): void {
  for (let i = 0; i < count; i++) {
    for (const groupId of groups) {
      const token = `${groupId}-r${round}-m${i}`;
      emulator.postGroupMessage({
        groupId,
        from: 'alice',
        content: { text: `@${agent} ${token}`, atUserIds: [agent] },
      });
      expected.get(groupId)?.push(token);
    }
    const token = `c2c-r${round}-m${i}`;
    emulator.postC2CMessage({ from: 'carol', to: agent, content: { text: token } });
    expected.get('c2c')?.push(token);
  }
}

/** Waits until every expected token was answered, then checks each was answered once, in order. */
async function expectAnsweredOnceInOrder(
  agent: string,
  groups: string[],
  expected: Map<string, string[]>,
  answered: (conversation: ConversationRef, agent: string) => string[],
  timeoutMs: number,
): Promise<void> {
  const refs: [string, ConversationRef][] = [
    ...groups.map((id): [string, ConversationRef] => [id, groupRef(id)]),
    ['c2c', c2cRef('carol')],
  ];
  const total = [...expected.values()].reduce((n, tokens) => n + tokens.length, 0);
  const answeredCount = () => refs.reduce((n, [, ref]) => n + answered(ref, agent).length, 0);
  try {
    await waitUntil(() => answeredCount() >= total, timeoutMs, `all ${total} messages answered`);
  } catch (error) {
    const got = refs.map(
      ([key, ref]) => `${key}: ${answered(ref, agent).length}/${expected.get(key)?.length}`,
    );
    throw new Error(`${(error as Error).message}; answered ${got.join(', ')}`);
  }
  for (const [key, ref] of refs) expect(answered(ref, agent)).toEqual(expected.get(key));
}

describe('the inbound pipeline under faults', () => {
  // Skipped: fails today (H12's report). After one dropConnections() right after 10 mentions
  // in each of 3 groups and 10 direct messages, the direct ones are answered (offline sync) and
  // none of the 30 group messages is, within 15 s: catch-up does not recover them.
  it.skip('answers 200 messages in 3 groups and a direct chat exactly once, in order, through drops, kicks and UserSig expiry', async () => {
    const agent = 'fbot1';
    const { dispatch, dispatches, answered } = tokenDispatch();
    const runtime = agentRuntime(agent, dispatch);
    await runtime.start();
    const groups = [room(agent), room(agent), room(agent)];
    const expected = new Map<string, string[]>([
      ...groups.map((g): [string, string[]] => [g, []]),
      ['c2c', []],
    ]);
    const faults: (() => void)[] = [
      () => emulator.dropConnections(agent),
      () => emulator.kick(agent),
      () => emulator.expireUserSig(agent),
      () => emulator.dropConnections(),
      () => {},
    ];
    for (const [round, fault] of faults.entries()) {
      // One fault at a time: each round's messages are answered before the next fault.
      postRound(agent, groups, round, 10, expected);
      fault();
      await expectAnsweredOnceInOrder(agent, groups, expected, answered, 15_000);
    }
    const all = [...expected.values()].flat();
    expect(all).toHaveLength(200);
    for (const token of all) expect(dispatches.get(token) ?? 0).toBeGreaterThanOrEqual(1);
  }, 60_000);

  // Skipped: fails today (H12's report). Round 0 is answered; after close() and a restart on
  // the same SQLite file and port nothing more is answered, not even messages posted after the
  // runtime reports `connected` again.
  it.skip('answers every message exactly once when the emulator restarts on its SQLite file', async () => {
    const agent = 'fbot2';
    const { dispatch, answered } = tokenDispatch();
    const runtime = agentRuntime(agent, dispatch);
    await runtime.start();
    const groups = [room(agent), room(agent)];
    const expected = new Map<string, string[]>([
      ...groups.map((g): [string, string[]] => [g, []]),
      ['c2c', []],
    ]);
    postRound(agent, groups, 0, 10, expected);
    await expectAnsweredOnceInOrder(agent, groups, expected, answered, 20_000);
    postRound(agent, groups, 1, 10, expected);
    const port = emulator.port;
    await emulator.close();
    emulator = await startOnFile(port);
    postRound(agent, groups, 2, 10, expected);
    await waitUntil(() => runtime.status().state === 'connected', 20_000, 'connected again');
    postRound(agent, groups, 3, 10, expected);
    await expectAnsweredOnceInOrder(agent, groups, expected, answered, 30_000);
  }, 60_000);
});
