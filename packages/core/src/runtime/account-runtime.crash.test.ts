import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Emulator, type EmulatorMessage, startEmulator } from '@clawlink/emulator';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../tim/test-support.js';

// A process restart in the middle of a dispatch: the runtime runs in a child process
// (fixtures/pipeline-host.ts) on a SQLite state dir, the test kills it with SIGKILL and starts
// it again on the same dir. What was answered is read from the emulator's history: every reply
// carries clawlink's marker `{"clawlink":{"v":1,"replyTo":[ids]}}` in its cloud custom data, and
// the host's answer names the texts it answers (`answer to [a|b]`).

const SDK_APP_ID = 1400000403;
const SECRET_KEY = 'crash-test-secret';
const pipelineHost = fileURLToPath(new URL('./fixtures/pipeline-host.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

type HostMode = 'hang' | 'reply-then-hang' | 'stream-then-hang' | 'answer';

let emulator: Emulator;
let stateDir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  for (const user of ['alice', 'bob', 'carol']) emulator.createUser(user, { nick: user });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'clawlink-crash-'));
});

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(stateDir, { recursive: true, force: true });
});

/** A child process running `userId`'s runtime on this test's state dir. */
function startHost(userId: string, mode: HostMode) {
  const config = {
    accountId: userId,
    server: emulator.wsUrl,
    stateDir,
    credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
    debounce: { windowMs: 0 },
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
  };
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', pipelineHost, JSON.stringify(config), mode],
    { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const lines: string[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  /** The rest of the first line starting with `prefix` (after `skip` such lines). */
  const line = async (prefix: string, skip = 0): Promise<string> => {
    const found = () => lines.filter((l) => l.startsWith(prefix))[skip];
    await waitUntil(() => found() !== undefined || exited(), 20_000, `host line ${prefix}`);
    const value = found();
    if (value === undefined) throw new Error(`the host exited early:\n${lines.join('\n')}`);
    return value.slice(prefix.length);
  };
  const count = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).length;
  const crash = () =>
    new Promise<void>((resolve) => {
      if (exited()) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  return { line, count, crash, lines };
}

/** A started host: resolves once its runtime is connected. */
async function connectedHost(userId: string, mode: HostMode) {
  const host = startHost(userId, mode);
  expect(await host.line('ready:')).toBe('connected');
  return host;
}

let rooms = 0;
function room(members: string[]): string {
  const groupId = `crash_room${++rooms}`;
  emulator.createGroup({ groupId, name: groupId, owner: 'alice', members });
  return groupId;
}

interface Answer {
  /** The ids in the reply's clawlink marker. */
  readonly replyTo: string[];
  /** The texts the host's answer names. */
  readonly texts: string[];
}

/** The agent's replies in a conversation's history, oldest first. */
function answersIn(history: EmulatorMessage[], agent: string): Answer[] {
  return history
    .filter((m) => m.from === agent)
    .map((m) => {
      const text = 'text' in m.content ? m.content.text : '';
      const named = /answer to \[(.*)\]$/s.exec(text)?.[1];
      const marker = JSON.parse(m.cloudCustomData || '{}').clawlink;
      return {
        replyTo: marker?.v === 1 && Array.isArray(marker.replyTo) ? marker.replyTo : [],
        texts: named === undefined ? [] : named.split('|'),
      };
    });
}

/** The agent's messages in a group with their texts and reply markers, oldest first. */
const agentReplies = (groupId: string, agent: string) =>
  emulator
    .groupHistory(groupId, 1000)
    .filter((m) => m.from === agent)
    .map((m) => {
      const marker = JSON.parse(m.cloudCustomData || '{}').clawlink ?? {};
      return {
        text: 'text' in m.content ? m.content.text : '',
        replyTo: Array.isArray(marker.replyTo) ? (marker.replyTo as string[]) : [],
        part: marker.part as number | undefined,
        parts: marker.parts as number | undefined,
      };
    });

const groupAnswers = (groupId: string, agent: string) =>
  answersIn(emulator.groupHistory(groupId, 1000), agent);
const directAnswers = (peer: string, agent: string) =>
  answersIn(emulator.c2cHistory(peer, agent, 1000), agent);

const mention = (groupId: string, from: string, agent: string, text: string) =>
  emulator.postGroupMessage({
    groupId,
    from,
    content: { text: `@${agent} ${text}`, atUserIds: [agent] },
  });

/** Times `text` was answered, by the texts the answers name. */
const timesAnswered = (answers: Answer[], text: string) =>
  answers.filter((a) => a.texts.includes(text)).length;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AccountRuntime restarted after a crash mid-dispatch (real SIGKILL, same SQLite dir)', () => {
  it('dispatches the message again and answers it exactly once', async () => {
    const agent = 'crash_a1';
    emulator.createUser(agent);
    const groupId = room(['alice', agent]);
    const first = await connectedHost(agent, 'hang');
    mention(groupId, 'alice', agent, 'one');
    const id = await first.line('dispatch:');
    await first.crash();
    expect(groupAnswers(groupId, agent)).toEqual([]);

    const second = await connectedHost(agent, 'answer');
    expect(await second.line('dispatch:')).toBe(id);
    await waitUntil(() => groupAnswers(groupId, agent).length === 1, 20_000, 'the answer');
    // The conversation is ordered: once a later message is answered, no second answer to the
    // first one can still come.
    mention(groupId, 'alice', agent, 'two');
    await waitUntil(() => groupAnswers(groupId, agent).length >= 2, 20_000, 'the next answer');
    expect(groupAnswers(groupId, agent)).toEqual([
      { replyTo: [id], texts: [`@${agent} one`] },
      { replyTo: [expect.any(String)], texts: [`@${agent} two`] },
    ]);
  });

  it('does not answer again when it was killed after its reply was sent, before mark-handled', async () => {
    const agent = 'crash_a2';
    emulator.createUser(agent);
    const groupId = room(['alice', agent]);
    const first = await connectedHost(agent, 'reply-then-hang');
    mention(groupId, 'alice', agent, 'only once');
    const id = await first.line('replied:');
    await first.crash();
    expect(groupAnswers(groupId, agent)).toEqual([
      { replyTo: [id], texts: [`@${agent} only once`] },
    ]);

    const second = await connectedHost(agent, 'answer');
    // Caught up before live messages go through: once this one is answered, the first was seen.
    mention(groupId, 'alice', agent, 'and then');
    await waitUntil(() => groupAnswers(groupId, agent).length >= 2, 20_000, 'the next answer');
    expect(groupAnswers(groupId, agent).map((a) => a.texts)).toEqual([
      [`@${agent} only once`],
      [`@${agent} and then`],
    ]);
    expect(second.lines.filter((l) => l.startsWith('dispatch:'))).toHaveLength(1);
    expect(second.lines).not.toContain(`dispatch:${id}`);
  });

  // Found by this test: a streamed reply carried the complete marker from its first version, so
  // after a crash mid-stream the half-grown message counted as an answer. A growing message is
  // now marked partial until its final version; the cut one stays as it was and the message is
  // answered again, in a new reply.
  it('answers in full a message whose streamed reply was cut by the crash', async () => {
    const agent = 'crash_a5';
    emulator.createUser(agent);
    const groupId = room(['alice', agent]);
    const first = await connectedHost(agent, 'stream-then-hang');
    mention(groupId, 'alice', agent, 'stream');
    const id = await first.line('streaming:');
    await waitUntil(() => groupAnswers(groupId, agent).length === 1, 20_000, 'the first version');
    await first.crash();

    await connectedHost(agent, 'answer');
    mention(groupId, 'alice', agent, 'after');
    await waitUntil(
      () => timesAnswered(groupAnswers(groupId, agent), `@${agent} after`) === 1,
      20_000,
      'the answer to the next message',
    );
    const complete = groupAnswers(groupId, agent).filter(
      (a) => a.replyTo.includes(id) && a.texts.includes(`@${agent} stream`),
    );
    expect(complete).toHaveLength(1);
  });

  it('answers in full a message whose chunked reply was cut between its parts by the crash', async () => {
    const agent = 'crash_a6';
    emulator.createUser(agent);
    const groupId = room(['alice', agent]);
    const first = await connectedHost(agent, 'answer');
    // The answer to a 12 KB message takes two messages: TIM takes the first part and holds the
    // second unanswered (never stored) until the process is killed.
    const command = 'group_open_http_svc.send_group_msg';
    emulator.injectFault({ command, userId: agent, delayMs: 0 });
    emulator.injectFault({ command, userId: agent, delayMs: 600_000, errorCode: 10_002 });
    const long = Array.from({ length: 2400 }, () => 'word').join(' ');
    mention(groupId, 'alice', agent, long);
    const id = await first.line('dispatch:');
    await waitUntil(() => agentReplies(groupId, agent).length === 1, 20_000, 'the first part');
    await first.crash();
    emulator.clearFaults();

    await connectedHost(agent, 'answer');
    mention(groupId, 'alice', agent, 'after');
    await waitUntil(
      () => timesAnswered(groupAnswers(groupId, agent), `@${agent} after`) === 1,
      20_000,
      'the answer to the next message',
    );
    const parts = agentReplies(groupId, agent).filter((r) => r.replyTo.includes(id));
    // The cut reply's first part, then the whole reply again: part 1 and 2 of 2.
    expect(parts.map((r) => [r.part, r.parts])).toEqual([
      [1, 2],
      [1, 2],
      [2, 2],
    ]);
    expect(parts[1]?.text.startsWith('@alice answer to [')).toBe(true);
    expect(`${parts[1]?.text}${parts[2]?.text}`).toBe(`@alice answer to [@${agent} ${long}]`);
  });

  // Found by this test: settling a gated-out message moved the conversation's watermark past an
  // earlier message still mid-dispatch, and catch-up reads only after the watermark. The
  // watermark now stops below the oldest message not settled (pipeline/settled-watermark.ts).
  it('answers a message mid-dispatch at a crash when a later one was gated out meanwhile', async () => {
    const agent = 'crash_a3';
    emulator.createUser(agent);
    const groupId = room(['alice', agent]);
    const first = await connectedHost(agent, 'hang');
    mention(groupId, 'alice', agent, 'first');
    await first.line('dispatch:');
    emulator.postGroupMessage({ groupId, from: 'alice', content: { text: 'not for the agent' } });
    await first.line('log:message gated out');
    await first.crash();

    await connectedHost(agent, 'answer');
    mention(groupId, 'alice', agent, 'second');
    await waitUntil(
      () => timesAnswered(groupAnswers(groupId, agent), `@${agent} second`) === 1,
      20_000,
      'the answer to the second message',
    );
    expect(groupAnswers(groupId, agent).map((a) => a.texts)).toEqual([
      [`@${agent} first`],
      [`@${agent} second`],
    ]);
  });

  it('answers a few dozen messages in 2 groups and a direct chat exactly once, in order, across a kill at a random point', async () => {
    const agent = 'crash_a4';
    emulator.createUser(agent);
    const groupA = room(['alice', 'bob', agent]);
    const groupB = room(['alice', 'bob', agent]);
    const posted = { [groupA]: [] as string[], [groupB]: [] as string[], carol: [] as string[] };
    /** Posts rounds `from`..`to - 1`: one message in each conversation per round. */
    const postRounds = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i++) {
        for (const [groupId, sender] of [
          [groupA, 'alice'],
          [groupB, 'bob'],
        ] as const) {
          const text = `${groupId} message ${i}`;
          mention(groupId, sender, agent, text);
          posted[groupId]?.push(`@${agent} ${text}`);
        }
        const direct = `direct message ${i}`;
        emulator.postC2CMessage({ from: 'carol', to: agent, content: { text: direct } });
        posted.carol.push(direct);
        await pause(Math.floor(Math.random() * 30));
      }
    };
    const killAfter = 2 + Math.floor(Math.random() * 12);
    const killDelayMs = Math.floor(Math.random() * 60);
    const seed = `killed after dispatch ${killAfter} + ${killDelayMs} ms`;

    // Live messages while the first process answers; it is killed at a random point.
    const first = await connectedHost(agent, 'answer');
    let postedLive = false;
    const live = postRounds(0, 8).then(() => {
      postedLive = true;
    });
    await waitUntil(
      () => first.count('dispatch:') >= killAfter || postedLive,
      30_000,
      `dispatch ${killAfter} (${seed})`,
    );
    await pause(killDelayMs);
    await first.crash();
    // Messages while no process runs, then while the restarted one catches up.
    await live;
    await postRounds(8, 12);
    const second = startHost(agent, 'answer');
    await postRounds(12, 16);
    expect(await second.line('ready:')).toBe('connected');
    const everyTextAnswered = () =>
      posted[groupA]?.every((t) => timesAnswered(groupAnswers(groupA, agent), t) >= 1) &&
      posted[groupB]?.every((t) => timesAnswered(groupAnswers(groupB, agent), t) >= 1) &&
      posted.carol.every((t) => timesAnswered(directAnswers('carol', agent), t) >= 1);
    await waitUntil(() => everyTextAnswered() === true, 40_000, `every answer (${seed})`);
    // One more message in each conversation: once it is answered, nothing before it can be.
    mention(groupA, 'alice', agent, 'last');
    mention(groupB, 'bob', agent, 'last');
    emulator.postC2CMessage({ from: 'carol', to: agent, content: { text: 'last' } });
    await waitUntil(
      () =>
        timesAnswered(groupAnswers(groupA, agent), `@${agent} last`) === 1 &&
        timesAnswered(groupAnswers(groupB, agent), `@${agent} last`) === 1 &&
        timesAnswered(directAnswers('carol', agent), 'last') === 1,
      20_000,
      `the last answers (${seed})`,
    );

    const conversations = [
      {
        answers: groupAnswers(groupA, agent),
        texts: [...(posted[groupA] ?? []), `@${agent} last`],
      },
      {
        answers: groupAnswers(groupB, agent),
        texts: [...(posted[groupB] ?? []), `@${agent} last`],
      },
      { answers: directAnswers('carol', agent), texts: [...posted.carol, 'last'] },
    ];
    for (const { answers, texts } of conversations) {
      // Each text answered once, in the order it was posted...
      expect(
        answers.flatMap((a) => a.texts),
        seed,
      ).toEqual(texts);
      // ...and each reply's marker names as many messages as its text, every id once.
      for (const answer of answers) expect(answer.replyTo, seed).toHaveLength(answer.texts.length);
      const ids = answers.flatMap((a) => a.replyTo);
      expect(new Set(ids).size, seed).toBe(texts.length);
    }
  });
});
