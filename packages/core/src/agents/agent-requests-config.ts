import { checkUserId } from '@clawlink/usersig';
import { z } from 'zod';
import { ConfigError } from '../errors/config-error.js';

/** `allowFrom` entry that lets every TIM user ask. */
export const ANYONE = '*';

/** How long an agent request waits for its answer by default: 5 minutes. */
export const DEFAULT_AGENT_REQUEST_TIMEOUT_MS = 5 * 60_000;
/** The longest an agent request may wait: 24 hours. */
export const MAX_AGENT_REQUEST_TIMEOUT_MS = 24 * 60 * 60_000;

const ALLOW_FROM = `a list of the TIM UserIDs allowed to send this agent requests, e.g. ['planner-bot'] (default [] = nobody; '${ANYONE}' = anyone)`;
const TIMEOUT = `how long a request this agent sends waits for its answer, in milliseconds: an integer from 1 to ${MAX_AGENT_REQUEST_TIMEOUT_MS} (default ${DEFAULT_AGENT_REQUEST_TIMEOUT_MS})`;

const expecting = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `missing — write ${what}` : `expected ${what}`;

const allowedUser = z.string({ error: expecting(ALLOW_FROM) }).superRefine((userId, ctx) => {
  if (userId === ANYONE) return;
  const problem = checkUserId(userId);
  if (problem !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `${problem}; write a TIM UserID, or '${ANYONE}' for anyone`,
    });
  }
});

/**
 * The zod schema of an account's `agentRequests` settings: who may send this agent requests
 * (`allowFrom`, default nobody) and how long its own requests wait (`timeoutMs`, default
 * {@link DEFAULT_AGENT_REQUEST_TIMEOUT_MS}). Omitted, it means the defaults.
 */
export const agentRequestsConfigSchema = z
  .strictObject(
    {
      allowFrom: z.array(allowedUser, { error: expecting(ALLOW_FROM) }).default([]),
      timeoutMs: z
        .number({ error: expecting(TIMEOUT) })
        .int({ error: expecting(TIMEOUT) })
        .min(1, { error: expecting(TIMEOUT) })
        .max(MAX_AGENT_REQUEST_TIMEOUT_MS, { error: expecting(TIMEOUT) })
        .default(DEFAULT_AGENT_REQUEST_TIMEOUT_MS),
    },
    { error: expecting('an object { allowFrom?, timeoutMs? }, or omit agentRequests') },
  )
  .prefault({});

/** `agentRequests` as a user writes it (every field optional). */
export type AgentRequestsConfigInput = z.input<typeof agentRequestsConfigSchema>;
/** `agentRequests` validated, defaults applied. */
export type AgentRequestsConfig = z.output<typeof agentRequestsConfigSchema>;

/**
 * Validates `agentRequests` settings and applies defaults; throws a `ConfigError` listing
 * every problem with its field path.
 */
export function parseAgentRequestsConfig(input: unknown): AgentRequestsConfig {
  const result = agentRequestsConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    'agentRequests config',
    result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message:
        issue.code === 'unrecognized_keys'
          ? `unknown field(s) ${issue.keys.join(', ')} — the fields are allowFrom, timeoutMs`
          : issue.message,
    })),
  );
}
