import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EmulatorMessage } from '@clawlink/emulator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../tim/test-support.js';
import { childLines } from './test-support/child-lines.js';
import { replyMarker, textOf, useEmulatorRuntimes } from './test-support/emulator-runtime.js';

// A process restart in the middle of a dispatch: the runtime runs in a child process
// (fixtures/pipeline-host.ts) on a SQLite state dir, the test kills it with SIGKILL and starts
// it again on the same dir. What was answered is read from the emulator's history: every reply
// carries clawlink's marker `{"clawlink":{"v":1,"replyTo":[ids]}}` in its cloud custom data, and
// the host's answer names the texts it answers (`answer to [a|b]`).

const pipelineHost = fileURLToPath(new URL('./fixtures/pipeline-host.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

type HostMode = 'hang' | 'reply-then-hang' | 'stream-then-hang' | 'answer';

const env = useEmulatorRuntimes({
  sdkAppId: 1400000403,
  secretKey: 'crash-test-secret',
  name: 'crash',
  users: { alice: 'alice', bob: 'bob', carol: 'carol' },
});
let stateDir: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  stateDir = env.stateDir();
});

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A child process running `userId`'s runtime on this test's state dir. */
function startHost(userId: string, mode: HostMode) {
  const config = env.accountConfig(userId, {
    stateDir,
    debounce: { windowMs: 0 },
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
  });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', pipelineHost, JSON.stringify(config), mode],
    { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const lines = childLines(child.stdout);
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

interface Answer {
  /** The ids in the reply's clawlink marker. */
  readonly replyTo: string[];
  /** The texts the host's answer names. */
  readonly texts: string[];
}

/** What the agent's replies (oldest first) answer. */
function answersIn(replies: EmulatorMessage[]): Answer[] {
  return replies.map((m) => {
    const named = /answer to \[(.*)\]$/s.exec(textOf(m))?.[1];
    return {
      replyTo: replyMarker(m).replyTo,
      texts: named === undefined ? [] : named.split('|'),
    };
  });
}

/** The agent's messages in a group with their texts and reply markers, oldest first. */
const agentReplies = (groupId: string, agent: string) =>
  env.repliesOf(groupId, agent).map((m) => ({ text: textOf(m), ...replyMarker(m) }));

const groupAnswers = (groupId: string, agent: string) => answersIn(env.repliesOf(groupId, agent));
const directAnswers = (peer: string, agent: string) => answersIn(env.directRepliesOf(peer, agent));

const mention = (groupId: string, from: string, agent: string, text: string) =>
  env.mention(groupId, agent, text, from);

/** Times `text` was answered, by the texts the answers name. */
const timesAnswered = (answers: Answer[], text: string) =>
  answers.filter((a) => a.texts.includes(text)).length;

/** A new agent in a new group with alice, and a first host for it in `mode`, connected. */
async function agentInRoom(agent: string, mode: HostMode) {
  env.emulator.createUser(agent);
  const groupId = env.room(agent);
  return { groupId, first: await connectedHost(agent, mode) };
}

/** The line a host in each mode prints (with the message ids) when it dispatches. */
const DISPATCH_LINE: Record<HostMode, string> = {
  hang: 'dispatch:',
  'reply-then-hang': 'replied:',
  'stream-then-hang': 'streaming:',
  answer: 'dispatch:',
};

/** `agentInRoom`, then alice mentions the agent with `text`; resolves with the dispatched id. */
async function mentionedHost(agent: string, mode: HostMode, text: string) {
  const { groupId, first } = await agentInRoom(agent, mode);
  mention(groupId, 'alice', agent, text);
  const id = await first.line(DISPATCH_LINE[mode]);
  return { groupId, first, id };
}

/** Alice mentions `agent` with `text`; waits until one answer names it (`what` it is). */
async function answeredOnce(groupId: string, agent: string, text: string, what: string) {
  mention(groupId, 'alice', agent, text);
  await waitUntil(
    () => timesAnswered(groupAnswers(groupId, agent), `@${agent} ${text}`) === 1,
    20_000,
    what,
  );
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AccountRuntime restarted after a crash mid-dispatch (real SIGKILL, same SQLite dir)', () => {
  it('dispatches the message again and answers it exactly once', async () => {
    const agent = 'crash_a1';
    const { groupId, first, id } = await mentionedHost(agent, 'hang', 'one');
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
    const { groupId, first, id } = await mentionedHost(agent, 'reply-then-hang', 'only once');
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
    const { groupId, first, id } = await mentionedHost(agent, 'stream-then-hang', 'stream');
    await waitUntil(() => groupAnswers(groupId, agent).length === 1, 20_000, 'the first version');
    await first.crash();

    await connectedHost(agent, 'answer');
    await answeredOnce(groupId, agent, 'after', 'the answer to the next message');
    const complete = groupAnswers(groupId, agent).filter(
      (a) => a.replyTo.includes(id) && a.texts.includes(`@${agent} stream`),
    );
    expect(complete).toHaveLength(1);
  });

  it('answers in full a message whose chunked reply was cut between its parts by the crash', async () => {
    const agent = 'crash_a6';
    const { groupId, first } = await agentInRoom(agent, 'answer');
    // The answer to a 12 KB message takes two messages: TIM takes the first part and holds the
    // second unanswered (never stored) until the process is killed.
    const command = 'group_open_http_svc.send_group_msg';
    env.emulator.injectFault({ command, userId: agent, delayMs: 0 });
    env.emulator.injectFault({ command, userId: agent, delayMs: 600_000, errorCode: 10_002 });
    const long = Array.from({ length: 2400 }, () => 'word').join(' ');
    mention(groupId, 'alice', agent, long);
    const id = await first.line('dispatch:');
    await waitUntil(() => agentReplies(groupId, agent).length === 1, 20_000, 'the first part');
    await first.crash();
    env.emulator.clearFaults();

    const second = await connectedHost(agent, 'answer');
    // Once the catch-up has taken the cut message: a message posted before could be caught up
    // with it and answered in the same reply (whose parts then name neither text alone).
    await second.line('log:caught up');
    await answeredOnce(groupId, agent, 'after', 'the answer to the next message');
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
    const { groupId, first, id } = await mentionedHost(agent, 'hang', 'first');
    env.emulator.postGroupMessage({
      groupId,
      from: 'alice',
      content: { text: 'not for the agent' },
    });
    await first.line('log:message gated out');
    await first.crash();

    const second = await connectedHost(agent, 'answer');
    // Once the caught-up message is dispatched: one posted before it is could fall in its
    // debounce window and be answered in the same reply.
    expect(await second.line('dispatch:')).toBe(id);
    await answeredOnce(groupId, agent, 'second', 'the answer to the second message');
    expect(groupAnswers(groupId, agent).map((a) => a.texts)).toEqual([
      [`@${agent} first`],
      [`@${agent} second`],
    ]);
  });

  it('answers a few dozen messages in 2 groups and a direct chat exactly once, in order, across a kill at a random point', async () => {
    const agent = 'crash_a4';
    env.emulator.createUser(agent);
    const groupA = env.room(agent, ['bob']);
    const groupB = env.room(agent, ['bob']);
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
        env.emulator.postC2CMessage({ from: 'carol', to: agent, content: { text: direct } });
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
    env.emulator.postC2CMessage({ from: 'carol', to: agent, content: { text: 'last' } });
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
