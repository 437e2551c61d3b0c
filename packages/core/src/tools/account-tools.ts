import { z } from 'zod';
import { ClawlinkError } from '../errors/clawlink-error.js';
import { defineTool } from './define-tool.js';
import { userId } from './tool-fields.js';
import type { ToolRuntime } from './tool-runtime.js';
import type { ToolSpec } from './tool-spec.js';

/** The longest an agent request may wait, in milliseconds (10 minutes). */
const MAX_REQUEST_TIMEOUT_MS = 600_000;

/** The account tools: ask another agent to do a task; this account's status. */
export function accountTools(runtime: ToolRuntime): ToolSpec[] {
  return [
    defineTool({
      name: 'clawlink_request_agent',
      description:
        'Hand another agent a task over a direct TIM message and wait for its result. Use it ' +
        'when another agent is better placed to do something. Give its TIM UserID as userId, ' +
        'what to do in plain words as task, anything else it needs as context (text; pass large ' +
        'inputs by reference, e.g. a URL: task and context together fit in 12 KB), and how long ' +
        `to wait as timeoutMs (default the account's setting, at most ${MAX_REQUEST_TIMEOUT_MS} ms). ` +
        'Returns {id, from, result} (a result of any length comes back whole). The other agent ' +
        'must allow requests from you: if not, AGENT_REQUEST_REFUSED comes back at once; ' +
        'AGENT_REQUEST_TIMEOUT means no answer in time, AGENT_REQUEST_FAILED that it could not ' +
        'do the task (its reason is in the message).',
      input: z.strictObject({
        userId: userId.describe("The other agent's TIM UserID."),
        task: z
          .string({ error: 'expected the task, a non-empty string' })
          .min(1, { error: 'expected the task, a non-empty string' })
          .describe('What the other agent should do, in plain words.'),
        context: z
          .string({ error: 'expected context as a string' })
          .optional()
          .describe('Anything else the other agent needs to know (optional).'),
        timeoutMs: z
          .number({
            error: `expected milliseconds, a whole number from 1 to ${MAX_REQUEST_TIMEOUT_MS}`,
          })
          .int({
            error: `expected milliseconds, a whole number from 1 to ${MAX_REQUEST_TIMEOUT_MS}`,
          })
          .min(1, {
            error: `expected milliseconds, a whole number from 1 to ${MAX_REQUEST_TIMEOUT_MS}`,
          })
          .max(MAX_REQUEST_TIMEOUT_MS, {
            error: `expected milliseconds, a whole number from 1 to ${MAX_REQUEST_TIMEOUT_MS}`,
          })
          .optional()
          .describe('How long to wait for the result, in milliseconds.'),
      }),
      mutates: true,
      execute: async (input, { signal }) => {
        const agents = runtime.agents;
        if (!agents) {
          throw new ClawlinkError(
            'INVALID_ARGUMENT',
            'This account cannot send agent requests (no agent request support is attached).',
          );
        }
        const { id, from, result } = await agents.request(input.userId, input.task, {
          ...(input.context === undefined ? {} : { context: input.context }),
          ...(input.timeoutMs === undefined ? {} : { timeoutMs: input.timeoutMs }),
          ...(signal ? { signal } : {}),
        });
        return { id, from, result };
      },
    }),
    defineTool({
      name: 'clawlink_status',
      description:
        "This agent's connection to TIM: {accountId, userId?, state, reason?, detail?} where " +
        "state is 'connected', 'connecting', 'reconnecting', 'half-alive' (no connection; " +
        "detail says why and what to do) or 'stopped'. Takes no arguments.",
      input: z.strictObject({}),
      mutates: false,
      execute: async () => {
        const status = runtime.status();
        return {
          accountId: status.accountId,
          ...(status.userId ? { userId: status.userId } : {}),
          state: status.state,
          ...(status.reason ? { reason: status.reason } : {}),
          ...(status.detail ? { detail: status.detail } : {}),
        };
      },
    }),
  ];
}
