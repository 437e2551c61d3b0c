import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors/config-error.js';
import { DEFAULT_MENTION_TEXT } from './reply-format.js';

// As in account-config.ts: every message says what to write and never includes the value.
type ZodErrorMap = (issue: { input?: unknown }) => string;

const expecting =
  (what: string): ZodErrorMap =>
  (issue) =>
    issue.input === undefined ? `missing — write ${what}` : `expected ${what}`;

const flag = (what: string, byDefault: boolean) =>
  z
    .boolean({ error: expecting(`true or false: ${what} (default ${byDefault})`) })
    .default(byDefault);

const count = (what: string, min: 0 | 1, byDefault: number) => {
  const expected = `${what}, an integer of at least ${min} (default ${byDefault})`;
  return z
    .number({ error: expecting(expected) })
    .int({ error: expecting(expected) })
    .min(min, { error: expecting(expected) })
    .default(byDefault);
};

const idList = (what: string) => {
  const expected = `${what}: an array of non-empty ids, '*' for any`;
  return z.array(z.string({ error: expecting(expected) }).min(1, { error: expecting(expected) }), {
    error: expecting(expected),
  });
};

const ids = (what: string, byDefault: string[]) => idList(what).default(byDefault);

const section = <Shape extends z.ZodRawShape>(shape: Shape, fields: string) =>
  z.strictObject(shape, { error: expecting(`an object { ${fields} }, or omit it`) });

const D = {
  debounceWindowMs: 300,
  debounceMaxBatch: 20,
  catchUpMaxAgeMs: 60 * 60 * 1000,
  catchUpMaxMessages: 50,
  dispatchConcurrency: 4,
  dispatchTimeoutMs: 120_000,
  dispatchMaxAttempts: 3,
  streamIntervalMs: 500,
} as const;

const channelOverride = z.strictObject(
  {
    requireMention: z
      .boolean({
        error: expecting(
          "true or false, this channel's own requireMention (omit to follow groups.requireMention)",
        ),
      })
      .optional(),
  },
  { error: expecting('an object { requireMention? } for this channel id') },
);

/** Group (channel) policy: which groups the agent answers in, and whether it must be addressed. */
export const groupsConfigSchema = section(
  {
    /** Answer a group message only when it addresses the agent (@ its UserID, or quotes it). */
    requireMention: flag('answer group messages only when they mention the agent', true),
    /** Count @all as a mention of the agent. */
    mentionAll: flag('count @all as a mention of the agent', false),
    /** Group ids the agent answers in; `'*'` is any group. */
    allow: ids("the group ids to answer in (default ['*'])", ['*']),
    /** Group ids the agent never answers in; wins over `allow`; `'*'` is every group. */
    deny: ids('the group ids never to answer in (default [])', []),
    /** Sender UserIDs whose group messages are answered; absent: everyone in the group. */
    allowFrom: idList(
      'the UserIDs whose group messages are answered (omit for everyone)',
    ).optional(),
    /** Per-group overrides, keyed by group id. */
    channels: z
      .record(z.string().min(1), channelOverride, {
        error: expecting(
          'an object keyed by group id, e.g. { "@TGS#1abc": { requireMention: false } }',
        ),
      })
      .default({}),
  },
  'requireMention?, mentionAll?, allow?, deny?, allowFrom?, channels?',
).prefault({});

/** Direct (C2C) message policy. */
export const directConfigSchema = section(
  {
    /** Answer direct messages at all. */
    enabled: flag('answer direct messages', true),
    /** Sender UserIDs whose direct messages are answered; `'*'` is anyone. */
    allowFrom: ids("the UserIDs whose direct messages are answered (default ['*'])", ['*']),
    /**
     * Show "typing..." in the sender's chat while a recent message (under 30 s old) is being
     * answered: TUIKit's typing status, sent as online messages (never stored).
     */
    typing: flag('show the sender that the agent is typing while it answers', true),
    /**
     * Report a direct chat read when the agent takes its messages: the sender's TIM client
     * shows them read (TIM's read receipt).
     */
    markRead: flag('report direct messages read when the agent takes them', true),
  },
  'enabled?, allowFrom?, typing?, markRead?',
).prefault({});

/** Debouncing: a burst of messages in one conversation becomes one dispatch. */
export const debounceConfigSchema = section(
  {
    /** How long to wait for more messages after one arrives, in ms; 0 turns debouncing off. */
    windowMs: count(
      'the debounce window in milliseconds (0 turns debouncing off)',
      0,
      D.debounceWindowMs,
    ),
    /** Most messages in one batch; a full batch is dispatched at once. */
    maxBatch: count('the most messages in one batch', 1, D.debounceMaxBatch),
  },
  'windowMs?, maxBatch?',
).prefault({});

/** Catch-up: what is fetched and answered after downtime, per conversation. */
export const catchUpConfigSchema = section(
  {
    /** Only messages at most this old are caught up, in ms; 0 turns catch-up off. */
    maxAgeMs: count(
      'the oldest message age to catch up, in milliseconds (0 turns catch-up off)',
      0,
      D.catchUpMaxAgeMs,
    ),
    /** The most messages caught up per conversation (the newest ones). */
    maxMessages: count('the most messages caught up per conversation', 1, D.catchUpMaxMessages),
  },
  'maxAgeMs?, maxMessages?',
).prefault({});

/** Dispatch: how the host's function is called. */
export const dispatchConfigSchema = section(
  {
    /** Dispatches running at once across conversations (one at a time per conversation). */
    concurrency: count('how many dispatches may run at once', 1, D.dispatchConcurrency),
    /** A dispatch running longer is aborted (its signal fires) and counts as failed, in ms. */
    timeoutMs: count('the dispatch timeout in milliseconds', 1, D.dispatchTimeoutMs),
    /** Attempts in all (the first included) before a failing dispatch is given up. */
    maxAttempts: count(
      'how many attempts in all a failing dispatch gets (1 = no retry)',
      1,
      D.dispatchMaxAttempts,
    ),
  },
  'concurrency?, timeoutMs?, maxAttempts?',
).prefault({});

/** How replies are formatted in groups (see `reply-format.ts`). */
export const repliesConfigSchema = section(
  {
    /** @-mention the sender of the answered message. */
    mentionSender: flag('@-mention the sender in group replies', true),
    /** Quote the answered message (TUIKit's `messageReply`, shown as a reply by TIM clients). */
    quote: flag('quote the answered message in group replies', true),
    /** Text before a mentioning reply; `{nick}` and `{id}` are replaced. */
    mentionText: z
      .string({
        error: expecting(
          `the text put before a mentioning reply, with {nick} or {id} (default '${DEFAULT_MENTION_TEXT}')`,
        ),
      })
      .default(DEFAULT_MENTION_TEXT),
  },
  'mentionSender?, quote?, mentionText?',
).prefault({});

/** Streaming: how often a streamed reply's message is updated. */
export const streamConfigSchema = section(
  {
    /** Least time between two updates of a streamed message, in ms. */
    intervalMs: count(
      'the least time between two updates of a streamed reply, in milliseconds',
      1,
      D.streamIntervalMs,
    ),
  },
  'intervalMs?',
).prefault({});

/**
 * The zod schema of the inbound pipeline's configuration; every section and field is
 * optional and defaulted. Its `shape` can be spread into the account config schema.
 */
export const pipelineConfigSchema = z.strictObject(
  {
    groups: groupsConfigSchema,
    direct: directConfigSchema,
    debounce: debounceConfigSchema,
    catchUp: catchUpConfigSchema,
    dispatch: dispatchConfigSchema,
    replies: repliesConfigSchema,
    stream: streamConfigSchema,
  },
  {
    error: expecting(
      'a pipeline config object { groups?, direct?, debounce?, catchUp?, dispatch?, replies?, stream? }',
    ),
  },
);

/** The pipeline configuration as written by a user (every field optional). */
export type PipelineConfigInput = z.input<typeof pipelineConfigSchema>;

/** The pipeline configuration after parsing: validated, every default applied. */
export type PipelineConfig = z.output<typeof pipelineConfigSchema>;

/**
 * Validates a pipeline configuration and applies its defaults. Throws a `ConfigError` listing
 * every problem by path (e.g. `debounce.windowMs`) with what to write instead.
 */
export function parsePipelineConfig(input: unknown = {}): PipelineConfig {
  const result = pipelineConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError('pipeline config', toConfigIssues(result.error.issues));
}

/**
 * Applies `partial` (e.g. from `runtime.updateConfig(partial)`) to `current` and validates
 * the result: objects merge deeply, arrays and other values replace, a field set to
 * `undefined` returns to its default. Pure: neither argument is changed. Throws a
 * `ConfigError` listing every problem by path when the result is not a valid config.
 */
export function mergePipelineConfig(current: PipelineConfig, partial: unknown): PipelineConfig {
  if (!isPlainObject(partial)) {
    throw new ConfigError('pipeline config update', [
      {
        path: '',
        message:
          'expected an object with the sections to change, e.g. { debounce: { windowMs: 0 } }',
      },
    ]);
  }
  const result = pipelineConfigSchema.safeParse(deepMerge(current, partial));
  if (result.success) return result.data;
  throw new ConfigError('pipeline config update', toConfigIssues(result.error.issues));
}

function deepMerge(
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const existing = out[key];
    if (value === undefined) delete out[key];
    else if (isPlainObject(value) && isPlainObject(existing)) out[key] = deepMerge(existing, value);
    else out[key] = value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The fields allowed in the object at `path`, for "unknown field" messages. */
function allowedFields(path: readonly PropertyKey[]): string {
  if (path.length === 0) return Object.keys(pipelineConfigSchema.shape).join(', ');
  if (path[0] === 'groups' && path[1] === 'channels') return 'requireMention';
  const sectionSchema = pipelineConfigSchema.shape[path[0] as keyof PipelineConfig];
  return sectionSchema === undefined ? '' : Object.keys(sectionSchema.unwrap().shape).join(', ');
}

function toConfigIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          path: path ? `${path}.${key}` : key,
          message: `unknown field — remove it or check its spelling; the fields here are: ${allowedFields(issue.path)}`,
        });
      }
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}
