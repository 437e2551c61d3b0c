import { createToolSpecs, isToolError, TOOL_NAMES, type ToolSpec } from '@clawlink/core';
import { z } from 'zod';
import { CHANNEL_ID } from './channel-id.js';
import { runningAccount } from './outbound.js';

/** The agent tools this plugin registers: every core tool spec (names as in `contracts.tools`). */
export const AGENT_TOOL_NAMES: readonly string[] = TOOL_NAMES;

/** What OpenClaw's tool factory context carries that the tools read. */
export interface ToolFactoryContext {
  messageChannel?: string;
  agentAccountId?: string;
}

/** One OpenClaw agent tool (the shape `api.registerTool` takes). */
export interface ClawlinkAgentTool {
  name: string;
  label: string;
  description: string;
  parameters: Record<string, unknown>;
  execute(
    toolCallId: string,
    params: unknown,
    signal?: AbortSignal,
  ): Promise<{ content: { type: 'text'; text: string }[]; details: unknown }>;
}

/** The tool specs' shapes (names, descriptions, schemas), read once without an account. */
const SPECS: readonly ToolSpec[] = createToolSpecs(unboundRuntime());

/** Core's tools that change something (`mutates`): joining, creating, sending, asking agents. */
export const MUTATING_TOOL_NAMES: readonly string[] = SPECS.filter((spec) => spec.mutates).map(
  (spec) => spec.name,
);

/**
 * Core's tool specs as OpenClaw agent tools. Each call runs against the account of the
 * conversation the agent is answering (a clawlink conversation), else the only running
 * account; the account is found in this process's running accounts, so a tool instance
 * from another copy of this module still reaches the runtime the channel started.
 * Failures reach the model as a thrown error with core's code and message.
 */
export function createAgentTools(ctx: ToolFactoryContext = {}): ClawlinkAgentTool[] {
  const accountId = ctx.messageChannel === CHANNEL_ID ? ctx.agentAccountId : undefined;
  return SPECS.map((shape) => ({
    name: shape.name,
    label: shape.name.replace(/^clawlink_/, '').replaceAll('_', ' '),
    description: shape.description,
    parameters: z.toJSONSchema(shape.input, { io: 'input' }) as Record<string, unknown>,
    async execute(_toolCallId, params, signal) {
      const runtime = runningAccount(accountId);
      const spec = createToolSpecs(runtime, { include: [shape.name] })[0] as ToolSpec;
      const result = await spec.run(params ?? {}, signal ? { signal } : {});
      if (isToolError(result)) {
        throw new Error(`${result.error.code}: ${result.error.message}`);
      }
      return { content: [{ type: 'text', text: JSON.stringify(result) }], details: result };
    },
  }));
}

/** A runtime stand-in for reading the specs' names, descriptions and schemas; never run. */
function unboundRuntime(): Parameters<typeof createToolSpecs>[0] {
  return new Proxy({} as Parameters<typeof createToolSpecs>[0], {
    get() {
      throw new Error('clawlink: tool specs read without a running account');
    },
  });
}
