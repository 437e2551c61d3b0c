import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dispatch } from '../pipeline/inbound-event.js';
import { type AccountRuntime, createAccountRuntime } from '../runtime/account-runtime.js';
import { createToolSpecs, TOOL_NAMES } from './create-tool-specs.js';
import { isToolError, type ToolError, type ToolResult, type ToolSpec } from './tool-spec.js';

// Every tool, run through a real account runtime (SQLite state, the real tim-js-sdk) against
// the emulator: its success and each failure path, as the `{error: {code, message}}` a model
// reads.
const SDK_APP_ID = 1400000302;
const SECRET_KEY = 'tools-emulator-secret';

let emulator: Emulator;
let stateDir: string;
let runtime: AccountRuntime;
let helper: AccountRuntime;
let tools: Map<string, ToolSpec>;
/** Tools over a runtime that was never started. */
let stoppedTools: Map<string, ToolSpec>;

function configFor(userId: string, extra: Record<string, unknown> = {}) {
  return {
    accountId: userId,
    server: emulator.wsUrl,
    stateDir,
    credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
    ...extra,
  };
}

/** The helper agent: `sum a b` answers the sum, `fail` throws, `wait` runs until aborted. */
const helperDispatch: Dispatch = async (event, { signal }) => {
  if (event.kind !== 'agent_request') return undefined;
  const { task } = event.request;
  if (task === 'fail') throw new Error('the helper has no database access');
  if (task === 'wait') {
    return new Promise<string>((_, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }
  const [a, b] = task.split(' ').slice(1).map(Number);
  return `the sum is ${(a ?? 0) + (b ?? 0)}`;
};

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  stateDir = mkdtempSync(join(tmpdir(), 'clawlink-tools-emulator-'));
  emulator.createUser('bob', { nick: 'Bob' });
  emulator.createUser('toolbot', { nick: 'Tool Bot' });
  emulator.createUser('helperbot');
  emulator.createGroup({ groupId: 'lobby', name: 'Lobby', owner: 'bob', members: ['bob'] });
  emulator.createGroup({
    groupId: 'bobs-room',
    name: 'Bobs Room',
    owner: 'bob',
    members: ['bob'],
    customFields: { clawlink_skill: 'Answer in haiku.' },
  });
  emulator.createGroup({ groupId: 'staff', name: 'Staff', type: 'Work', owner: 'bob' });
  runtime = createAccountRuntime({ config: configFor('toolbot') });
  helper = createAccountRuntime({
    config: configFor('helperbot', { agentRequests: { allowFrom: ['toolbot'] } }),
    dispatch: helperDispatch,
  });
  await Promise.all([runtime.start(), helper.start()]);
  tools = new Map(createToolSpecs(runtime).map((tool) => [tool.name, tool]));
  const neverStarted = createAccountRuntime({ config: configFor('toolbot') });
  stoppedTools = new Map(createToolSpecs(neverStarted).map((tool) => [tool.name, tool]));
});

afterAll(async () => {
  await Promise.all([runtime?.stop(), helper?.stop()]);
  await emulator?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

/** Resolves once `check` holds, asking every 20 ms for at most 10 s. */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function run(name: string, input: unknown, signal?: AbortSignal): Promise<ToolResult> {
  const tool = tools.get(name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool.run(input, signal ? { signal } : {});
}

/** Runs a tool that must fail, and returns its tool error (a plain JSON-able object). */
async function failure(name: string, input: unknown): Promise<ToolError['error']> {
  const result = await run(name, input);
  if (!isToolError(result)) throw new Error(`${name} succeeded: ${JSON.stringify(result)}`);
  expect(Object.keys(result)).toEqual(['error']);
  expect(Object.keys(result.error).sort()).toEqual(['code', 'message']);
  expect(result.error.message).not.toMatch(/\n\s+at /);
  return result.error;
}

describe('channel tools on the emulator', () => {
  it('clawlink_create_channel: creates; refuses a long name, a long skill, a taken or bad id', async () => {
    expect(
      await run('clawlink_create_channel', {
        name: 'Research',
        description: 'papers and notes',
        skill: 'Summarise papers.',
        channelId: 'research',
      }),
    ).toEqual({ channelId: 'research', name: 'Research' });
    expect(emulator.getGroup('research')).toMatchObject({ owner: 'toolbot' });
    const generated = await run('clawlink_create_channel', { name: 'Scratch' });
    expect(generated).toMatchObject({ channelId: expect.any(String), name: 'Scratch' });

    const longName = await failure('clawlink_create_channel', { name: 'n'.repeat(31) });
    expect(longName).toMatchObject({
      code: 'TOO_LARGE',
      message: expect.stringMatching(/30-byte/),
    });
    const longSkill = await failure('clawlink_create_channel', {
      name: 'Skilled',
      skill: 's'.repeat(513),
    });
    expect(longSkill).toMatchObject({ code: 'TOO_LARGE', message: expect.stringMatching(/512/) });
    expect(
      (await failure('clawlink_create_channel', { name: 'Again', channelId: 'lobby' })).code,
    ).toMatch(/INVALID_ARGUMENT|TIM_ERROR/);
    expect(
      await failure('clawlink_create_channel', { name: 'Bad id', channelId: '@TGS#mine' }),
    ).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('channel id') });
    expect(await failure('clawlink_create_channel', { description: 'no name' })).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('name'),
    });
  });

  it('clawlink_list_channels: lists joined channels with compact fields', async () => {
    const listed = (await run('clawlink_list_channels', {})) as { channels: unknown[] };
    expect(listed.channels).toContainEqual({
      id: 'research',
      name: 'Research',
      description: 'papers and notes',
      memberCount: 1,
      role: 'owner',
    });
    expect(listed.channels).not.toContainEqual(expect.objectContaining({ id: 'lobby' }));
    expect(await failure('clawlink_list_channels', { channelId: 'x' })).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('channelId'),
    });
  });

  it('clawlink_search_channels: an exact id, a keyword, nothing; refuses an empty keyword', async () => {
    expect(await run('clawlink_search_channels', { keyword: 'lobby' })).toMatchObject({
      channels: [{ id: 'lobby', name: 'Lobby' }],
    });
    expect(await run('clawlink_search_channels', { keyword: 'PAPERS' })).toMatchObject({
      channels: [{ id: 'research' }],
    });
    expect(await run('clawlink_search_channels', { keyword: 'no-such-thing' })).toEqual({
      channels: [],
    });
    expect(await failure('clawlink_search_channels', { keyword: '' })).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('keyword'),
    });
  });

  it('clawlink_join_channel: joins, is already a member; unknown channel, Work channel', async () => {
    expect(await run('clawlink_join_channel', { channelId: 'lobby' })).toEqual({
      channelId: 'lobby',
      status: 'joined',
    });
    expect(await run('clawlink_join_channel', { channelId: 'lobby' })).toEqual({
      channelId: 'lobby',
      status: 'already_member',
    });
    expect(await failure('clawlink_join_channel', { channelId: 'no-such-room' })).toMatchObject({
      code: 'CHANNEL_NOT_FOUND',
      message: expect.stringContaining('check the channel id'),
    });
    expect(await failure('clawlink_join_channel', { channelId: 'staff' })).toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('invite'),
    });
    expect(await failure('clawlink_join_channel', {})).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('channelId'),
    });
  });

  it('clawlink_get_members: lists members; not a member, unknown channel, bad count', async () => {
    const members = (await run('clawlink_get_members', { channelId: 'lobby' })) as {
      channelId: string;
      members: { userId: string; role: string }[];
    };
    expect(members.channelId).toBe('lobby');
    expect(members.members.map((m) => `${m.userId}:${m.role}`).sort()).toEqual([
      'bob:owner',
      'toolbot:member',
    ]);
    expect(await run('clawlink_get_members', { channelId: 'lobby', count: 1 })).toMatchObject({
      members: [expect.any(Object)],
    });
    expect(await failure('clawlink_get_members', { channelId: 'bobs-room' })).toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('join it first'),
    });
    expect((await failure('clawlink_get_members', { channelId: 'no-such-room' })).code).toMatch(
      /PERMISSION_DENIED|CHANNEL_NOT_FOUND/,
    );
    expect(await failure('clawlink_get_members', { channelId: 'lobby', count: 101 })).toMatchObject(
      { code: 'INVALID_ARGUMENT', message: expect.stringContaining('count') },
    );
  });

  it('clawlink_get_channel_skill: reads a skill or null; unknown channel', async () => {
    expect(await run('clawlink_get_channel_skill', { channelId: 'research' })).toEqual({
      channelId: 'research',
      skill: 'Summarise papers.',
    });
    expect(await run('clawlink_get_channel_skill', { channelId: 'lobby' })).toEqual({
      channelId: 'lobby',
      skill: null,
    });
    expect(
      await failure('clawlink_get_channel_skill', { channelId: 'no-such-room' }),
    ).toMatchObject({ code: 'CHANNEL_NOT_FOUND' });
    expect(await failure('clawlink_get_channel_skill', { channelId: 7 })).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('channelId'),
    });
  });

  it('clawlink_set_channel_skill: sets and clears; no permission, not a member, too long', async () => {
    expect(
      await run('clawlink_set_channel_skill', { channelId: 'research', skill: 'Cite sources.' }),
    ).toEqual({ channelId: 'research', skill: 'Cite sources.' });
    expect(emulator.getGroup('research')?.customFields.clawlink_skill).toBe('Cite sources.');
    expect(await run('clawlink_get_channel_skill', { channelId: 'research' })).toMatchObject({
      skill: 'Cite sources.',
    });
    // A member who is not owner or admin.
    expect(
      await failure('clawlink_set_channel_skill', { channelId: 'lobby', skill: 'mine now' }),
    ).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('owner') });
    expect(
      (await failure('clawlink_set_channel_skill', { channelId: 'bobs-room', skill: 'x' })).code,
    ).toBe('PERMISSION_DENIED');
    expect(emulator.getGroup('bobs-room')?.customFields.clawlink_skill).toBe('Answer in haiku.');
    expect(
      await failure('clawlink_set_channel_skill', {
        channelId: 'research',
        skill: 'é'.repeat(300),
      }),
    ).toMatchObject({ code: 'TOO_LARGE', message: expect.stringContaining('512-byte') });
    expect(
      (await failure('clawlink_set_channel_skill', { channelId: 'no-such-room', skill: 'x' })).code,
    ).toMatch(/CHANNEL_NOT_FOUND|PERMISSION_DENIED/);
    expect(await failure('clawlink_set_channel_skill', { channelId: 'research' })).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('skill'),
    });
    expect(await run('clawlink_set_channel_skill', { channelId: 'research', skill: '' })).toEqual({
      channelId: 'research',
      skill: '',
    });
    expect(await run('clawlink_get_channel_skill', { channelId: 'research' })).toMatchObject({
      skill: null,
    });
  });
});

describe('message tools on the emulator', () => {
  it('clawlink_send_message: to a channel with mentions and to a user', async () => {
    const sent = await run('clawlink_send_message', {
      channelId: 'lobby',
      text: 'hello @Bob',
      mentions: ['bob'],
    });
    expect(sent).toEqual({ messageId: expect.any(String), time: expect.any(String) });
    const [last] = emulator.groupHistory('lobby', 1);
    expect(last).toMatchObject({
      from: 'toolbot',
      content: { text: 'hello @Bob', atUserIds: ['bob'] },
    });
    expect(await run('clawlink_send_message', { userId: 'bob', text: 'psst' })).toMatchObject({
      messageId: expect.any(String),
    });
    expect(emulator.c2cHistory('toolbot', 'bob', 1)[0]).toMatchObject({
      content: { text: 'psst' },
    });
  });

  it('clawlink_send_message: unknown channel, not a member, too long, bad input', async () => {
    expect(
      await failure('clawlink_send_message', { channelId: 'no-such-room', text: 'hi' }),
    ).toMatchObject({ code: 'CHANNEL_NOT_FOUND' });
    expect(
      await failure('clawlink_send_message', { channelId: 'bobs-room', text: 'let me in' }),
    ).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('join') });
    const long = await failure('clawlink_send_message', {
      channelId: 'lobby',
      text: 'x'.repeat(13_000),
    });
    expect(long).toMatchObject({ code: 'TOO_LARGE', message: expect.stringMatching(/12/) });
    expect(
      (await failure('clawlink_send_message', { userId: 'bob', text: '数'.repeat(4_200) })).code,
    ).toBe('TOO_LARGE');
    expect(
      await failure('clawlink_send_message', { userId: 'nobody-here', text: 'hi' }),
    ).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('does not exist'),
    });
    expect(
      await failure('clawlink_send_message', { channelId: 'lobby', userId: 'bob', text: 'hi' }),
    ).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('exactly one of channelId'),
    });
    expect(
      await failure('clawlink_send_message', { userId: 'bob', text: 'hi', mentions: ['bob'] }),
    ).toMatchObject({ message: expect.stringContaining('mentions') });
    expect(await failure('clawlink_send_message', { channelId: 'lobby' })).toMatchObject({
      message: expect.stringContaining('text'),
    });
  });

  it('clawlink_fetch_messages: oldest first, pages back with before; refuses where not a member', async () => {
    for (const text of ['one', 'two', 'three']) {
      emulator.postGroupMessage({ groupId: 'lobby', from: 'bob', content: { text } });
    }
    const page = (await run('clawlink_fetch_messages', { channelId: 'lobby', count: 2 })) as {
      messages: { id: string; from: string; time: string; text: string; nick?: string }[];
    };
    expect(page.messages.map((m) => m.text)).toEqual(['two', 'three']);
    const [first] = page.messages;
    expect(
      Object.keys(first ?? {}).every((k) => ['id', 'from', 'nick', 'time', 'text'].includes(k)),
    ).toBe(true);
    expect(first).toMatchObject({ from: 'bob', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    const older = (await run('clawlink_fetch_messages', {
      channelId: 'lobby',
      count: 2,
      before: first?.id,
    })) as { messages: { text: string }[] };
    expect(older.messages.map((m) => m.text)).toEqual(['hello @Bob', 'one']);
    const direct = (await run('clawlink_fetch_messages', { userId: 'bob' })) as {
      messages: { text: string }[];
    };
    expect(direct.messages.map((m) => m.text)).toContain('psst');
    for (const text of ['d1', 'd2', 'd3']) {
      emulator.postC2CMessage({ from: 'bob', to: 'toolbot', content: { text } });
    }
    await waitFor(async () => {
      const latest = (await run('clawlink_fetch_messages', { userId: 'bob', count: 1 })) as {
        messages: { text: string }[];
      };
      return latest.messages[0]?.text === 'd3';
    });
    const newest = (await run('clawlink_fetch_messages', { userId: 'bob', count: 2 })) as {
      messages: { id: string; text: string }[];
    };
    expect(newest.messages.map((m) => m.text)).toEqual(['d2', 'd3']);
    const earlier = (await run('clawlink_fetch_messages', {
      userId: 'bob',
      count: 2,
      before: newest.messages[0]?.id,
    })) as { messages: { text: string }[] };
    expect(earlier.messages.map((m) => m.text)).toEqual(['psst', 'd1']);

    expect((await failure('clawlink_fetch_messages', { channelId: 'no-such-room' })).code).toMatch(
      /CHANNEL_NOT_FOUND|PERMISSION_DENIED/,
    );
    emulator.postGroupMessage({ groupId: 'bobs-room', from: 'bob', content: { text: 'private' } });
    expect(await failure('clawlink_fetch_messages', { channelId: 'bobs-room' })).toMatchObject({
      code: 'PERMISSION_DENIED',
    });
    expect(
      await failure('clawlink_fetch_messages', { channelId: 'lobby', count: 0 }),
    ).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('count') });
    expect(await failure('clawlink_fetch_messages', {})).toMatchObject({
      message: expect.stringContaining('exactly one of channelId'),
    });
  });

  it('clawlink_leave_channel: leaves; not a member, owner, unknown channel', async () => {
    expect(await run('clawlink_leave_channel', { channelId: 'lobby' })).toEqual({
      channelId: 'lobby',
      left: true,
    });
    expect(emulator.getGroup('lobby')?.members).not.toContain('toolbot');
    expect((await failure('clawlink_leave_channel', { channelId: 'lobby' })).code).toBe(
      'PERMISSION_DENIED',
    );
    expect(await failure('clawlink_leave_channel', { channelId: 'research' })).toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('owner'),
    });
    // The SDK answers "not a member" for any channel it has not joined, existing or not.
    expect(await failure('clawlink_leave_channel', { channelId: 'no-such-room' })).toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('not a member'),
    });
  });
});

describe('account tools on the emulator', () => {
  it('clawlink_request_agent: a result; refused, failed, timed out, cancelled, bad input', async () => {
    expect(
      await run('clawlink_request_agent', {
        userId: 'helperbot',
        task: 'sum 2 2',
        timeoutMs: 20_000,
      }),
    ).toEqual({ id: expect.any(String), from: 'helperbot', result: 'the sum is 4' });
    // The envelopes read as one line each in the direct chat's history.
    const chat = (await run('clawlink_fetch_messages', { userId: 'helperbot', count: 2 })) as {
      messages: { from: string; text: string }[];
    };
    expect(chat.messages).toEqual([
      expect.objectContaining({ from: 'toolbot', text: '[custom message] Agent request: sum 2 2' }),
      expect.objectContaining({
        from: 'helperbot',
        text: '[custom message] Agent response: the sum is 4',
      }),
    ]);
    // bob takes no agent requests (no runtime answers for it; toolbot allows nobody).
    const [helperTool] = createToolSpecs(helper, { include: ['clawlink_request_agent'] });
    const refused = await (helperTool as ToolSpec).run({ userId: 'toolbot', task: 'help me' });
    expect(refused).toMatchObject({
      error: { code: 'AGENT_REQUEST_REFUSED', message: expect.stringContaining('allowFrom') },
    });
    expect(await failure('clawlink_request_agent', { userId: 'helperbot', task: 'fail' })).toEqual({
      code: 'AGENT_REQUEST_FAILED',
      message: expect.stringContaining('the helper has no database access'),
    });
    expect(
      await failure('clawlink_request_agent', {
        userId: 'helperbot',
        task: 'wait',
        timeoutMs: 300,
      }),
    ).toMatchObject({
      code: 'AGENT_REQUEST_TIMEOUT',
      message: expect.stringContaining('timeoutMs'),
    });
    const controller = new AbortController();
    const cancelled = run(
      'clawlink_request_agent',
      { userId: 'helperbot', task: 'wait' },
      controller.signal,
    );
    controller.abort(new Error('the person stopped the agent'));
    // Cancelled by the host: said so, not an unexpected internal failure.
    expect(await cancelled).toEqual({
      error: {
        code: 'STOPPED',
        message: expect.stringContaining('cancelled by the host: the person stopped the agent'),
      },
    });
    expect(
      await failure('clawlink_request_agent', { userId: 'helperbot', task: 'x'.repeat(13_000) }),
    ).toMatchObject({ code: 'TOO_LARGE', message: expect.stringContaining('by reference') });
    expect(
      await failure('clawlink_request_agent', { userId: 'nobody-here', task: 'x' }),
    ).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('does not exist'),
    });
    expect(await failure('clawlink_request_agent', { userId: 'helperbot' })).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('task'),
    });
    expect(
      await failure('clawlink_request_agent', { userId: 'helperbot', task: 'x', timeoutMs: 0 }),
    ).toMatchObject({ message: expect.stringContaining('timeoutMs') });
    expect(
      await failure('clawlink_request_agent', { userId: 'has space', task: 'x' }),
    ).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('userId') });
  });

  it('clawlink_status: connected, and what a stopped account says', async () => {
    expect(await run('clawlink_status', {})).toEqual({
      accountId: 'toolbot',
      userId: 'toolbot',
      state: 'connected',
    });
    expect(await stoppedTools.get('clawlink_status')?.run({})).toMatchObject({
      accountId: 'toolbot',
      state: 'stopped',
    });
  });

  it('every other tool over a runtime that is not started answers STOPPED, never throws', async () => {
    const inputs: Record<string, unknown> = {
      clawlink_list_channels: {},
      clawlink_search_channels: { keyword: 'lobby' },
      clawlink_join_channel: { channelId: 'lobby' },
      clawlink_leave_channel: { channelId: 'lobby' },
      clawlink_get_members: { channelId: 'lobby' },
      clawlink_create_channel: { name: 'Nope' },
      clawlink_get_channel_skill: { channelId: 'lobby' },
      clawlink_set_channel_skill: { channelId: 'lobby', skill: 'x' },
      clawlink_send_message: { channelId: 'lobby', text: 'hi' },
      clawlink_fetch_messages: { channelId: 'lobby' },
      clawlink_request_agent: { userId: 'helperbot', task: 'sum 1 1' },
    };
    expect(Object.keys(inputs).sort()).toEqual(
      TOOL_NAMES.filter((name) => name !== 'clawlink_status').sort(),
    );
    for (const [name, input] of Object.entries(inputs)) {
      const result = await stoppedTools.get(name)?.run(input);
      expect(result, name).toEqual({
        error: { code: 'STOPPED', message: expect.stringContaining('start()') },
      });
    }
  });
});
