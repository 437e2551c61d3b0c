import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AccountRuntime, createAccountRuntime } from '../runtime/account-runtime.js';
import { createToolSpecs, TOOL_NAMES } from './create-tool-specs.js';
import type { ToolResult, ToolSpec } from './tool-spec.js';

// Selection, flags and schemas need no connection: the runtime is never started (the tools
// against the emulator are in tools.emulator.test.ts).
let stateDir: string;
let runtime: AccountRuntime;
let tools: Map<string, ToolSpec>;

beforeAll(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'clawlink-tools-'));
  runtime = createAccountRuntime({
    config: {
      accountId: 'toolbot',
      server: 'ws://127.0.0.1:9',
      stateDir,
      credentials: { kind: 'secretKey', sdkAppId: 1400000301, userId: 'toolbot', secretKey: 's' },
    },
  });
  tools = new Map(createToolSpecs(runtime).map((tool) => [tool.name, tool]));
});

afterAll(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

async function run(name: string, input: unknown): Promise<ToolResult> {
  const tool = tools.get(name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool.run(input);
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

  it('refuses an unknown field by name, and input that is not an object', async () => {
    expect(await run('clawlink_status', { verbose: true })).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('verbose') },
    });
    expect(await run('clawlink_join_channel', { channel: 'lobby' })).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('channel') },
    });
    expect(await run('clawlink_list_channels', 'everything')).toMatchObject({
      error: { code: 'INVALID_ARGUMENT' },
    });
  });

  it("uses the issue's field names, each described for a model, and names its limits", () => {
    const fieldNames = new Set([
      'channelId',
      'userId',
      'text',
      'mentions',
      'keyword',
      'name',
      'description',
      'skill',
      'count',
      'before',
      'task',
      'context',
      'timeoutMs',
    ]);
    const unexplained: string[] = [];
    for (const tool of tools.values()) {
      const schema = z.toJSONSchema(tool.input, { io: 'input' }) as {
        properties?: Record<string, { description?: string }>;
        additionalProperties?: unknown;
      };
      expect(schema.additionalProperties, tool.name).toBe(false);
      for (const [field, property] of Object.entries(schema.properties ?? {})) {
        expect(fieldNames.has(field), `${tool.name}.${field}`).toBe(true);
        expect(property.description, `${tool.name}.${field}`).toMatch(/\w{3,}/);
        if (!tool.description.includes(field)) unexplained.push(`${tool.name}.${field}`);
      }
    }
    // Each argument is named in the tool's description too: a model reads that first.
    expect(unexplained).toEqual([]);
    const described = (name: string) => tools.get(name)?.description ?? '';
    expect(described('clawlink_send_message')).toContain('12 KB');
    expect(described('clawlink_fetch_messages')).toMatch(/at most 100/);
    expect(described('clawlink_get_members')).toMatch(/at most 100/);
    expect(described('clawlink_create_channel')).toMatch(/30 bytes.*240 bytes/);
    expect(described('clawlink_set_channel_skill')).toContain('512 bytes');
  });
});
