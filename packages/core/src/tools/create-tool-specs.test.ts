import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountRuntime, createAccountRuntime } from '../runtime/account-runtime.js';
import { createToolSpecs, TOOL_NAMES } from './create-tool-specs.js';
import { isToolError, type ToolResult, type ToolSpec } from './tool-spec.js';

const SDK_APP_ID = 1400000301;
const SECRET_KEY = 'tools-test-secret';

let emulator: Emulator;
let stateDir: string;
let runtime: AccountRuntime;
let tools: Map<string, ToolSpec>;

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  stateDir = mkdtempSync(join(tmpdir(), 'clawlink-tools-'));
  emulator.createUser('bob', { nick: 'Bob' });
  runtime = createAccountRuntime({
    config: {
      accountId: 'toolbot',
      server: emulator.wsUrl,
      stateDir,
      credentials: {
        kind: 'secretKey',
        sdkAppId: SDK_APP_ID,
        userId: 'toolbot',
        secretKey: SECRET_KEY,
      },
    },
  });
  await runtime.start();
  tools = new Map(createToolSpecs(runtime).map((tool) => [tool.name, tool]));
});

afterAll(async () => {
  await runtime?.stop();
  await emulator?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function run(name: string, input: unknown): Promise<ToolResult> {
  const tool = tools.get(name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool.run(input);
}

function errorCode(result: ToolResult): string | undefined {
  return isToolError(result) ? result.error.code : undefined;
}

describe('createToolSpecs', () => {
  it('returns every tool, each with a description, a schema and the right mutates flag', () => {
    expect([...tools.keys()]).toEqual([...TOOL_NAMES]);
    const mutating = [...tools.values()].filter((t) => t.mutates).map((t) => t.name);
    expect(mutating.sort()).toEqual(
      [
        'clawlink_join_channel',
        'clawlink_leave_channel',
        'clawlink_create_channel',
        'clawlink_set_channel_skill',
        'clawlink_send_message',
        'clawlink_request_agent',
      ].sort(),
    );
    for (const tool of tools.values()) expect(tool.description.length).toBeGreaterThan(60);
  });

  it('selects with include, exclude and readOnly, and refuses unknown names', () => {
    expect(createToolSpecs(runtime, { include: ['clawlink_status'] }).map((t) => t.name)).toEqual([
      'clawlink_status',
    ]);
    expect(createToolSpecs(runtime, { readOnly: true }).every((t) => !t.mutates)).toBe(true);
    expect(
      createToolSpecs(runtime, { exclude: ['clawlink_status'] }).some(
        (t) => t.name === 'clawlink_status',
      ),
    ).toBe(false);
    expect(() => createToolSpecs(runtime, { include: ['clawlink_nope'] })).toThrow(
      "there is no tool named 'clawlink_nope'",
    );
  });

  it('refuses bad input with the field named, never throwing', async () => {
    const missing = await run('clawlink_join_channel', {});
    expect(missing).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(JSON.stringify(missing)).toContain('channelId');
    const both = await run('clawlink_send_message', { channelId: 'x', userId: 'y', text: 'hi' });
    expect(JSON.stringify(both)).toContain('exactly one of channelId');
    const count = await run('clawlink_fetch_messages', { channelId: 'x', count: 1000 });
    expect(JSON.stringify(count)).toContain('count');
  });
});

describe('the tools against the emulator', () => {
  it('creates a channel with a skill, lists, searches, reads and sets the skill', async () => {
    const created = await run('clawlink_create_channel', {
      name: 'Research',
      description: 'papers and notes',
      skill: 'Summarise papers.',
      channelId: 'research',
    });
    expect(created).toEqual({ channelId: 'research', name: 'Research' });
    expect(await run('clawlink_list_channels', {})).toMatchObject({
      channels: [{ id: 'research', name: 'Research', role: 'owner' }],
    });
    expect(await run('clawlink_search_channels', { keyword: 'papers' })).toMatchObject({
      channels: [{ id: 'research' }],
    });
    expect(await run('clawlink_get_channel_skill', { channelId: 'research' })).toEqual({
      channelId: 'research',
      skill: 'Summarise papers.',
    });
    await run('clawlink_set_channel_skill', { channelId: 'research', skill: 'Cite sources.' });
    expect(await run('clawlink_get_channel_skill', { channelId: 'research' })).toEqual({
      channelId: 'research',
      skill: 'Cite sources.',
    });
  });

  it('joins, lists members, sends, fetches history and leaves', async () => {
    emulator.createGroup({ groupId: 'lobby', name: 'Lobby', owner: 'bob', members: ['bob'] });
    expect(await run('clawlink_join_channel', { channelId: 'lobby' })).toEqual({
      channelId: 'lobby',
      status: 'joined',
    });
    const members = await run('clawlink_get_members', { channelId: 'lobby' });
    expect(members).toMatchObject({ channelId: 'lobby' });
    expect(
      (members as { members: { userId: string }[] }).members.map((m) => m.userId).sort(),
    ).toEqual(['bob', 'toolbot']);
    emulator.postGroupMessage({ groupId: 'lobby', from: 'bob', content: { text: 'hello bots' } });
    const sent = await run('clawlink_send_message', {
      channelId: 'lobby',
      text: 'hello Bob',
      mentions: ['bob'],
    });
    expect(sent).toMatchObject({ messageId: expect.any(String), time: expect.any(String) });
    const history = await run('clawlink_fetch_messages', { channelId: 'lobby', count: 10 });
    const texts = (history as { messages: { from: string; text: string }[] }).messages.map(
      (m) => `${m.from}: ${m.text}`,
    );
    expect(texts.slice(-2)).toEqual(['bob: hello bots', 'toolbot: hello Bob']);
    const direct = await run('clawlink_send_message', { userId: 'bob', text: 'psst' });
    expect(isToolError(direct)).toBe(false);
    const dm = await run('clawlink_fetch_messages', { userId: 'bob' });
    expect((dm as { messages: { text: string }[] }).messages.map((m) => m.text)).toContain('psst');
    expect(await run('clawlink_leave_channel', { channelId: 'lobby' })).toEqual({
      channelId: 'lobby',
      left: true,
    });
  });

  it('reports each failure as a readable tool error', async () => {
    expect(errorCode(await run('clawlink_join_channel', { channelId: 'no-such-room' }))).toBe(
      'CHANNEL_NOT_FOUND',
    );
    emulator.createGroup({ groupId: 'closed', name: 'Closed', owner: 'bob', members: ['bob'] });
    expect(errorCode(await run('clawlink_get_members', { channelId: 'closed' }))).toBe(
      'PERMISSION_DENIED',
    );
    expect(
      errorCode(await run('clawlink_send_message', { channelId: 'closed', text: 'let me in' })),
    ).toBe('PERMISSION_DENIED');
    emulator.addMembers('closed', ['toolbot']);
    expect(
      errorCode(
        await run('clawlink_set_channel_skill', { channelId: 'closed', skill: 'mine now' }),
      ),
    ).toBe('PERMISSION_DENIED');
    const long = await run('clawlink_send_message', {
      channelId: 'closed',
      text: 'x'.repeat(13_000),
    });
    expect(errorCode(long)).toBe('TOO_LARGE');
    expect((long as { error: { message: string } }).error.message).toMatch(/12/);
  });

  it('reports the status', async () => {
    expect(await run('clawlink_status', {})).toMatchObject({
      accountId: 'toolbot',
      userId: 'toolbot',
      state: 'connected',
    });
  });

  it('hands another agent a task, and reports a refusal as a tool error', async () => {
    const helper = createAccountRuntime({
      config: {
        accountId: 'helperbot',
        server: emulator.wsUrl,
        stateDir,
        credentials: {
          kind: 'secretKey',
          sdkAppId: SDK_APP_ID,
          userId: 'helperbot',
          secretKey: SECRET_KEY,
        },
        agentRequests: { allowFrom: ['toolbot'] },
        direct: { enabled: false },
      },
      dispatch: (event) =>
        event.kind === 'agent_request' ? `done: ${event.request.task}` : undefined,
    });
    await helper.start();
    try {
      expect(
        await run('clawlink_request_agent', {
          userId: 'helperbot',
          task: 'sum 2 and 2',
          timeoutMs: 10_000,
        }),
      ).toMatchObject({ from: 'helperbot', result: 'done: sum 2 and 2' });
      const [helperTool] = createToolSpecs(helper, { include: ['clawlink_request_agent'] });
      const refused = await (helperTool as ToolSpec).run({ userId: 'toolbot', task: 'help me' });
      expect(errorCode(refused)).toBe('AGENT_REQUEST_REFUSED');
    } finally {
      await helper.stop();
    }
    const other = createToolSpecs(helper, { include: ['clawlink_request_agent'] })[0] as ToolSpec;
    expect(errorCode(await other.run({ userId: 'toolbot', task: 'x' }))).toBe('STOPPED');
  });
});
