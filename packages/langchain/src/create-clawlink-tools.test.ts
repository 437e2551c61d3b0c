import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AccountRuntime,
  ClawlinkError,
  createAccountRuntime,
  createToolSpecs,
} from '@clawlink/core';
import { type Emulator, startEmulator } from '@clawlink/emulator';
import { ToolMessage } from '@langchain/core/messages';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import { toJsonSchema } from '@langchain/core/utils/json_schema';
import type { InteropZodType } from '@langchain/core/utils/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClawlinkToolkit } from './clawlink-toolkit.js';
import { type ClawlinkTool, createClawlinkTools } from './create-clawlink-tools.js';

const SDK_APP_ID = 1400000401;
const SECRET_KEY = 'langchain-tools-test-secret';

let emulator: Emulator;
let stateDir: string;
let runtime: AccountRuntime;
let tools: Map<string, ClawlinkTool>;

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  stateDir = mkdtempSync(join(tmpdir(), 'clawlink-langchain-tools-'));
  emulator.createUser('carol', { nick: 'Carol' });
  emulator.createUser('chainbot');
  emulator.createGroup({
    groupId: 'garden',
    name: 'Garden',
    owner: 'carol',
    members: ['carol', 'chainbot'],
  });
  emulator.postGroupMessage({
    groupId: 'garden',
    from: 'carol',
    content: { text: 'tomatoes are in' },
  });
  runtime = createAccountRuntime({
    config: {
      accountId: 'chainbot',
      server: emulator.wsUrl,
      stateDir,
      credentials: {
        kind: 'secretKey',
        sdkAppId: SDK_APP_ID,
        userId: 'chainbot',
        secretKey: SECRET_KEY,
      },
    },
  });
  await runtime.start();
  tools = new Map(createClawlinkTools(runtime).map((tool) => [tool.name, tool]));
});

afterAll(async () => {
  await runtime?.stop();
  await emulator?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

function toolNamed(name: string): ClawlinkTool {
  const tool = tools.get(name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool;
}

describe('createClawlinkTools', () => {
  it("is core's tool specs: the same names, descriptions and zod schemas", () => {
    const specs = createToolSpecs(runtime);
    expect([...tools.keys()]).toEqual(specs.map((spec) => spec.name));
    for (const spec of specs) {
      const tool = toolNamed(spec.name);
      expect(tool.description).toBe(spec.description);
      expect(toJsonSchema(tool.schema)).toEqual(toJsonSchema(spec.input as InteropZodType));
    }
  });

  it('gives a model the JSON schema of the core input, field descriptions included', () => {
    const { function: fetch } = convertToOpenAITool(toolNamed('clawlink_fetch_messages'));
    expect(fetch.name).toBe('clawlink_fetch_messages');
    expect(fetch.parameters).toMatchObject({
      type: 'object',
      properties: {
        channelId: { type: 'string', description: expect.stringContaining('channel') },
        count: { type: 'integer', description: expect.stringContaining('How many') },
      },
    });
  });

  it('selects like core: include, exclude, readOnly; an unknown name is refused', () => {
    expect(
      createClawlinkTools(runtime, { include: ['clawlink_status'] }).map((t) => t.name),
    ).toEqual(['clawlink_status']);
    const readOnly = createClawlinkTools(runtime, { readOnly: true }).map((t) => t.name);
    expect(readOnly).toEqual(createToolSpecs(runtime, { readOnly: true }).map((s) => s.name));
    expect(readOnly).not.toContain('clawlink_send_message');
    expect(
      createClawlinkTools(runtime, { exclude: ['clawlink_status'] }).map((t) => t.name),
    ).not.toContain('clawlink_status');
    let thrown: unknown;
    try {
      createClawlinkTools(runtime, { include: ['clawlink_nope'] });
    } catch (error) {
      thrown = error;
    }
    expect(ClawlinkError.isInstance(thrown)).toBe(true);
    expect((thrown as ClawlinkError).code).toBe('INVALID_ARGUMENT');
    expect((thrown as Error).message).toContain("no tool named 'clawlink_nope'");
  });

  it('invoked with arguments, returns the result as JSON, read from the emulator', async () => {
    const listed = JSON.parse(await toolNamed('clawlink_list_channels').invoke({}));
    expect(listed).toEqual({
      channels: [expect.objectContaining({ id: 'garden', name: 'Garden' })],
    });
    const history = JSON.parse(
      await toolNamed('clawlink_fetch_messages').invoke({ channelId: 'garden', count: 5 }),
    );
    expect(
      history.messages.map((m: { from: string; text: string }) => `${m.from}: ${m.text}`),
    ).toEqual(['carol: tomatoes are in']);
  });

  it('invoked with a tool call, returns a ToolMessage with the JSON and the result as artifact', async () => {
    const message = await toolNamed('clawlink_send_message').invoke({
      type: 'tool_call',
      id: 'call_7',
      name: 'clawlink_send_message',
      args: { channelId: 'garden', text: 'I will water them' },
    });
    expect(message).toBeInstanceOf(ToolMessage);
    expect(message.tool_call_id).toBe('call_7');
    expect(message.artifact).toMatchObject({ messageId: expect.any(String) });
    expect(JSON.parse(message.content as string)).toEqual(message.artifact);
    expect(emulator.groupHistory('garden').at(-1)).toMatchObject({ from: 'chainbot' });
  });

  it('returns a failure as a result the model reads, never a throw', async () => {
    const joined = JSON.parse(
      await toolNamed('clawlink_join_channel').invoke({ channelId: 'no-such-room' }),
    );
    expect(joined).toEqual({
      error: { code: 'CHANNEL_NOT_FOUND', message: expect.stringContaining('no-such-room') },
    });
    emulator.createGroup({ groupId: 'shed', name: 'Shed', owner: 'carol', members: ['carol'] });
    const members = JSON.parse(
      await toolNamed('clawlink_get_members').invoke({ channelId: 'shed' }),
    );
    expect(members.error.code).toBe('PERMISSION_DENIED');
  });

  it("refuses input that does not fit the schema with the spec's own error, every field named", async () => {
    const missing = JSON.parse(await toolNamed('clawlink_join_channel').invoke({}));
    expect(missing).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('channelId') },
    });
    const message = await toolNamed('clawlink_send_message').invoke({
      type: 'tool_call',
      id: 'call_8',
      name: 'clawlink_send_message',
      args: { channelId: 'garden', userId: 'carol', text: 'x' },
    });
    expect(message).toBeInstanceOf(ToolMessage);
    expect(message).toMatchObject({ tool_call_id: 'call_8', status: 'error' });
    expect(JSON.parse(message.content as string).error.message).toContain(
      'exactly one of channelId',
    );
  });
});

describe('createClawlinkTools on a stand-in runtime', () => {
  it("passes the call's abort signal to the tool (an agent request stops waiting)", async () => {
    let seen: AbortSignal | undefined;
    let called: () => void = () => {};
    const requested = new Promise<void>((resolve) => {
      called = resolve;
    });
    const standIn = {
      accountId: 'stand-in',
      agents: {
        request: (_userId: string, _task: string, options: { signal?: AbortSignal } = {}) => {
          seen = options.signal;
          called();
          return new Promise<never>((_resolve, reject) =>
            options.signal?.addEventListener('abort', () => reject(options.signal?.reason)),
          );
        },
      },
    } as unknown as AccountRuntime;
    const [request] = createClawlinkTools(standIn, { include: ['clawlink_request_agent'] });
    const controller = new AbortController();
    const pending = request?.invoke({ userId: 'x', task: 'y' }, { signal: controller.signal });
    await requested;
    expect(seen?.aborted).toBe(false);
    controller.abort(new Error('the host gave up'));
    expect(seen?.aborted).toBe(true);
    expect(JSON.parse(await pending)).toEqual({
      error: {
        code: 'STOPPED',
        message: expect.stringContaining('was cancelled by the host: the host gave up'),
      },
    });
  });
});

describe('ClawlinkToolkit', () => {
  it('holds the same tools, with the same selection', () => {
    const toolkit = new ClawlinkToolkit(runtime, { readOnly: true });
    expect(toolkit.getTools().map((t) => t.name)).toEqual(
      createToolSpecs(runtime, { readOnly: true }).map((s) => s.name),
    );
  });
});
