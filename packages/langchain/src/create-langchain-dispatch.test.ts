import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AccountRuntime,
  ClawlinkError,
  createAccountRuntime,
  type DispatchContext,
  type InboundEvent,
  silentLogger,
  type TimMessage,
} from '@clawlink/core';
import { type Emulator, type EmulatorMessage, startEmulator } from '@clawlink/emulator';
import type { BaseMessage } from '@langchain/core/messages';
import { RunnableLambda } from '@langchain/core/runnables';
import { createAgent } from 'langchain';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClawlinkTools } from './create-clawlink-tools.js';
import { createLangChainDispatch } from './create-langchain-dispatch.js';
import { ScriptedChatModel } from './test-support/scripted-chat-model.js';

/** A direct message event from alice, as the pipeline hands it over. */
function directEvent(text: string, id = 'd9', time = 9_000): InboundEvent {
  return {
    kind: 'direct',
    accountId: 'helper',
    conversation: { type: 'c2c', id: 'alice' },
    sender: { id: 'alice', nick: 'Alice' },
    text,
    messages: [{ id, time, text }],
    mentions: [],
    wasMentioned: true,
    time,
    catchUp: false,
  };
}

function timMessage(id: string, from: string, text: string, time: number): TimMessage {
  return {
    id,
    conversation: { type: 'c2c', id: 'alice' },
    from,
    time,
    kind: 'text',
    text,
    atUserList: [],
    atAll: false,
  };
}

interface StandIn {
  ctx: DispatchContext;
  historyCalls: { count?: number }[];
  warnings: string[];
}

/** A dispatch context over a stand-in runtime whose history is `history` (or fails). */
function standIn(history: TimMessage[] | Error = []): StandIn {
  const historyCalls: { count?: number }[] = [];
  const warnings: string[] = [];
  const runtime = {
    accountId: 'helper',
    status: () => ({ accountId: 'helper', userId: 'helper', state: 'connected', since: 0 }),
    messages: {
      history: async (_conversation: unknown, options: { count?: number }) => {
        historyCalls.push(options);
        if (history instanceof Error) throw history;
        return history;
      },
    },
  } as unknown as AccountRuntime;
  const logger = {
    ...silentLogger,
    warn: (_fields: unknown, message: string) => {
      warnings.push(message);
    },
    child: () => logger,
  };
  const ctx = {
    reply: async () => [],
    signal: new AbortController().signal,
    runtime,
    logger,
  } as unknown as DispatchContext;
  return { ctx, historyCalls, warnings };
}

async function collect(reply: unknown): Promise<string[]> {
  if (typeof reply === 'string' || reply === undefined) return reply === undefined ? [] : [reply];
  const out: string[] = [];
  for await (const text of reply as AsyncIterable<string>) out.push(text);
  return out;
}

function invalidArgument(build: () => unknown): ClawlinkError {
  try {
    build();
  } catch (error) {
    if (ClawlinkError.isInstance(error) && error.code === 'INVALID_ARGUMENT') return error;
    throw error;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('createLangChainDispatch (stand-in runtime)', () => {
  it('refuses what is neither an agent, a Runnable nor a factory, and a bad historyCount', () => {
    expect(invalidArgument(() => createLangChainDispatch(42 as never)).message).toContain(
      'expected an agent (createAgent from langchain), a Runnable, or a function',
    );
    const model = new ScriptedChatModel([]);
    expect(
      invalidArgument(() => createLangChainDispatch(model, { historyCount: 500 })).message,
    ).toContain('historyCount must be a whole number from 0 to 100, got 500');
  });

  it('runs a Runnable on the history and the question, and streams its answer', async () => {
    const model = new ScriptedChatModel(['Tomorrow it will be dry and sunny.']);
    const history = [
      timMessage('d1', 'alice', 'rain today?', 1_000),
      timMessage('d2', 'helper', 'yes, all day', 2_000),
      timMessage('d9', 'alice', 'and tomorrow?', 9_000),
      timMessage('d10', 'alice', 'posted while you were thinking', 10_000),
    ];
    const { ctx, historyCalls } = standIn(history);
    const dispatch = createLangChainDispatch(model, { historyCount: 5 });
    const reply = await dispatch(directEvent('and tomorrow?'), ctx);
    expect(typeof reply).not.toBe('string');
    expect(await collect(reply)).toEqual([
      'Tomorrow ',
      'it ',
      'will ',
      'be ',
      'dry ',
      'and ',
      'sunny.',
    ]);
    expect(historyCalls).toEqual([{ count: 6 }]);
    const call = model.calls[0] ?? [];
    expect(call.map((m) => [m.type, m.content]).slice(0, -1)).toEqual([
      ['human', 'rain today?'],
      ['ai', 'yes, all day'],
    ]);
    expect(String(call.at(-1)?.content)).toMatch(/<\/context>\n\nand tomorrow\?$/);
  });

  it('sends an answer that came in one piece whole, and nothing for an empty one', async () => {
    const whole = createLangChainDispatch(
      new ScriptedChatModel(['All good.'], { streaming: false }),
    );
    expect(await whole(directEvent('status?'), standIn().ctx)).toBe('All good.');
    const silent = createLangChainDispatch(RunnableLambda.from(async () => ''));
    expect(await silent(directEvent('anything?'), standIn().ctx)).toBeUndefined();
  });

  it('reads no history with historyCount 0, and answers without it when it cannot be read', async () => {
    const none = standIn([timMessage('d1', 'alice', 'old', 1_000)]);
    const model = new ScriptedChatModel(['ok', 'ok']);
    await collect(
      await createLangChainDispatch(model, { historyCount: 0 })(directEvent('hi'), none.ctx),
    );
    expect(none.historyCalls).toEqual([]);
    const broken = standIn(new Error('TIM is down'));
    await collect(await createLangChainDispatch(model)(directEvent('hi'), broken.ctx));
    expect(broken.warnings).toEqual([
      'could not read the conversation history; the agent answers without it',
    ]);
    expect(model.calls.map((call) => call.length)).toEqual([1, 1]);
  });

  it('rejects when the model fails before any text, so the pipeline can retry', async () => {
    const dispatch = createLangChainDispatch(new ScriptedChatModel([new Error('401 bad key')]));
    await expect(dispatch(directEvent('hi'), standIn().ctx)).rejects.toThrow('401 bad key');
  });

  it('builds the agent with the factory once per runtime, and again after the factory threw', async () => {
    const built: AccountRuntime[] = [];
    let failNext = true;
    const dispatch = createLangChainDispatch((runtime) => {
      built.push(runtime);
      if (failNext) {
        failNext = false;
        throw new Error('no model configured yet');
      }
      return RunnableLambda.from(async (messages: BaseMessage[]) => `seen ${messages.length}`);
    });
    const { ctx } = standIn();
    await expect(dispatch(directEvent('one'), ctx)).rejects.toThrow('no model configured yet');
    expect(await dispatch(directEvent('two'), ctx)).toBe('seen 1');
    expect(await dispatch(directEvent('three'), ctx)).toBe('seen 1');
    expect(built).toEqual([ctx.runtime, ctx.runtime]);
    const other = standIn();
    expect(await dispatch(directEvent('four'), other.ctx)).toBe('seen 1');
    expect(built).toHaveLength(3);
    const notAnAgent = createLangChainDispatch(() => ({}) as never);
    await expect(notAnAgent(directEvent('five'), ctx)).rejects.toThrow(
      'the factory must return an agent',
    );
  });

  it("gives the run the caller's config and the pipeline's signal", async () => {
    const seen: { tags?: string[]; signal?: AbortSignal }[] = [];
    const probe = RunnableLambda.from(async (_messages: BaseMessage[], config) => {
      seen.push({ tags: config?.tags, signal: config?.signal });
      return 'ok';
    });
    const events: InboundEvent[] = [];
    const dispatch = createLangChainDispatch(probe, {
      config: (event) => {
        events.push(event);
        return { tags: ['clawlink'] };
      },
    });
    const pipeline = new AbortController();
    const { ctx } = standIn();
    const event = directEvent('hi');
    await dispatch(event, { ...ctx, signal: pipeline.signal });
    expect(events).toEqual([event]);
    expect(seen[0]?.tags).toContain('clawlink');
    expect(seen[0]?.signal?.aborted).toBe(false);
    pipeline.abort();
    expect(seen[0]?.signal?.aborted).toBe(true);
  });
});

// The real thing: a runtime on the emulator (the real TIM SDK over a WebSocket), a LangChain
// createAgent with a tool-calling model, clawlink's tools against the emulator, and the
// answer arriving in the channel.
const SDK_APP_ID = 1400000402;
const SECRET_KEY = 'langchain-dispatch-test-secret';
/** How long an answer may take to arrive: polled every 20 ms (vitest's `vi.waitFor`). */
const ANSWER_WAIT = { timeout: 20_000, interval: 20 };

let emulator: Emulator;
const stateDirs: string[] = [];
const runtimes: AccountRuntime[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  emulator.createUser('alice', { nick: 'Alice' });
});

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.stop()));
  for (const dir of stateDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await emulator?.close();
});

function agentRuntime(
  userId: string,
  extra: Partial<Parameters<typeof createAccountRuntime>[0]['config']> = {},
): AccountRuntime {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-langchain-dispatch-'));
  stateDirs.push(stateDir);
  emulator.createUser(userId);
  const runtime = createAccountRuntime({
    config: {
      accountId: userId,
      server: emulator.wsUrl,
      stateDir,
      credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
      debounce: { windowMs: 0 },
      stream: { intervalMs: 20 },
      ...extra,
    },
  });
  runtimes.push(runtime);
  return runtime;
}

const repliesOf = (groupId: string, agent: string): EmulatorMessage[] =>
  emulator.groupHistory(groupId).filter((m) => m.from === agent);

const textOf = (message: EmulatorMessage | undefined): string =>
  message && 'text' in message.content ? message.content.text : '';

/** The JSON content of the tool results the model was given, by tool call id. */
function toolResults(messages: BaseMessage[]): Map<string, unknown> {
  return new Map(
    messages
      .filter((m) => m.type === 'tool')
      .map((m) => [(m as { tool_call_id?: string }).tool_call_id ?? '', m.content]),
  );
}

describe('createLangChainDispatch with createAgent on the emulator', () => {
  it('answers an @-mention: lists channels, reads history, and its streamed answer lands in the channel', async () => {
    const runtime = agentRuntime('langbot');
    emulator.createGroup({
      groupId: 'garden',
      name: 'Garden',
      owner: 'alice',
      members: ['alice', 'langbot'],
      customFields: { clawlink_skill: 'Help with the garden. Be brief.' },
    });
    emulator.postGroupMessage({
      groupId: 'garden',
      from: 'alice',
      content: { text: 'the roses need water' },
    });
    let sawTools: unknown[] = [];
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'clawlink_list_channels', args: {}, id: 'call_list' }] },
      (messages) => {
        sawTools = [...toolResults(messages).values()];
        return {
          toolCalls: [
            {
              name: 'clawlink_fetch_messages',
              args: { channelId: 'garden', count: 5 },
              id: 'call_fetch',
            },
          ],
        };
      },
      (messages) => {
        const fetched = JSON.parse(String(toolResults(messages).get('call_fetch')));
        const first = fetched.messages[0];
        return `I am in ${JSON.parse(String(sawTools[0])).channels.length} channel. Earlier ${first.from} said: ${first.text}.`;
      },
    ]);
    let builtFor: AccountRuntime | undefined;
    runtime.setDispatch(
      createLangChainDispatch((rt) => {
        builtFor = rt;
        return createAgent({
          model,
          tools: createClawlinkTools(rt),
          systemPrompt: 'You are langbot.',
        });
      }),
    );
    await runtime.start();
    emulator.postGroupMessage({
      groupId: 'garden',
      from: 'alice',
      content: { text: '@langbot where are you, and what did I say?', atUserIds: ['langbot'] },
    });
    await vi.waitFor(() => expect(runtime.metrics().streamed).toBe(1), ANSWER_WAIT);
    const replies = repliesOf('garden', 'langbot');
    expect(replies.map(textOf)).toEqual([
      '@Alice I am in 1 channel. Earlier alice said: the roses need water.',
    ]);
    expect(builtFor).toBe(runtime);
    expect(JSON.parse(String(sawTools[0]))).toEqual({
      channels: [expect.objectContaining({ id: 'garden', name: 'Garden' })],
    });
    const firstCall = model.calls[0] ?? [];
    expect(firstCall.map((m) => m.type)).toEqual(['system', 'human', 'human']);
    expect(firstCall[0]?.text).toBe('You are langbot.');
    expect(firstCall[1]?.content).toBe('Alice: the roses need water');
    const question = String(firstCall[2]?.content);
    expect(question).toContain('Help with the garden. Be brief.');
    expect(question).toMatch(/Alice: @langbot where are you, and what did I say\?$/);
  });

  it('returns tool errors to the model as results: a TIM failure and input that does not fit', async () => {
    const runtime = agentRuntime('fixbot');
    emulator.createGroup({
      groupId: 'shed',
      name: 'Shed',
      owner: 'alice',
      members: ['alice', 'fixbot'],
    });
    let results = new Map<string, unknown>();
    const model = new ScriptedChatModel(
      [
        {
          toolCalls: [
            { name: 'clawlink_join_channel', args: { channelId: 'no-such-room' }, id: 'call_join' },
            { name: 'clawlink_send_message', args: { text: 'to nobody' }, id: 'call_send' },
          ],
        },
        (messages) => {
          results = toolResults(messages);
          const join = JSON.parse(String(results.get('call_join')));
          return `Could not join: ${join.error.code}.`;
        },
      ],
      { streaming: false },
    );
    runtime.setDispatch(
      createLangChainDispatch((rt) => createAgent({ model, tools: createClawlinkTools(rt) })),
    );
    await runtime.start();
    emulator.postGroupMessage({
      groupId: 'shed',
      from: 'alice',
      content: { text: '@fixbot join no-such-room', atUserIds: ['fixbot'] },
    });
    await vi.waitFor(() => expect(runtime.metrics().replied).toBe(1), ANSWER_WAIT);
    expect(repliesOf('shed', 'fixbot').map(textOf)).toEqual([
      '@Alice Could not join: CHANNEL_NOT_FOUND.',
    ]);
    expect(JSON.parse(String(results.get('call_join')))).toEqual({
      error: { code: 'CHANNEL_NOT_FOUND', message: expect.stringContaining('no-such-room') },
    });
    expect(String(results.get('call_send'))).toContain('exactly one of channelId');
    expect(runtime.metrics()).toMatchObject({ failures: 0, streamed: 0 });
  });

  it("answers another agent's request: the task and its context in, the whole answer back", async () => {
    const researcher = agentRuntime('researcher', { agentRequests: { allowFrom: ['planner'] } });
    const planner = agentRuntime('planner');
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'clawlink_status', args: {}, id: 'call_status' }] },
      (messages) => {
        const status = JSON.parse(String(toolResults(messages).get('call_status')));
        return `Looked it up as ${status.userId}: 12 KB per message.`;
      },
    ]);
    researcher.setDispatch(
      createLangChainDispatch((rt) => createAgent({ model, tools: createClawlinkTools(rt) })),
    );
    await Promise.all([researcher.start(), planner.start()]);
    const answer = await planner.agents.request('researcher', 'the size limit of a message', {
      timeoutMs: 20_000,
      context: 'for the README',
    });
    expect(answer).toMatchObject({
      from: 'researcher',
      result: 'Looked it up as researcher: 12 KB per message.',
    });
    const question = String(model.calls[0]?.at(-1)?.content);
    expect(question).toContain('Another agent, planner (user id planner), sent you a task');
    expect(question).toMatch(/the size limit of a message\n\nContext: "for the README"$/);
    expect(model.calls[0]?.filter((m) => m.type !== 'system')).toHaveLength(1);
  });

  it("answers a direct message with a plain chat model, given the chat's history from TIM", async () => {
    const runtime = agentRuntime('dmbot');
    emulator.postC2CMessage({
      from: 'dmbot',
      to: 'alice',
      content: { text: 'Rain all day, Alice.' },
    });
    const model = new ScriptedChatModel(['I said it would rain all day.']);
    runtime.setDispatch(createLangChainDispatch(model));
    await runtime.start();
    emulator.postC2CMessage({
      from: 'alice',
      to: 'dmbot',
      content: { text: 'what did you tell me?' },
    });
    await vi.waitFor(() => expect(runtime.metrics().streamed).toBe(1), ANSWER_WAIT);
    const answers = emulator.c2cHistory('alice', 'dmbot').filter((m) => m.from === 'dmbot');
    expect(answers.map(textOf)).toEqual(['Rain all day, Alice.', 'I said it would rain all day.']);
    const call = model.calls[0] ?? [];
    expect(call.map((m) => [m.type, m.type === 'ai' ? m.content : ''])).toEqual([
      ['ai', 'Rain all day, Alice.'],
      ['human', ''],
    ]);
    expect(String(call[1]?.content)).toContain('direct (one-to-one) chat on Tencent Cloud IM with');
    expect(String(call[1]?.content)).toMatch(/what did you tell me\?$/);
  });
});
