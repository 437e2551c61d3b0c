import {
  type AccountConfigInput,
  ConfigError,
  type ConfigIssue,
  parseAccountConfig,
} from '@clawlink/core';
import { z } from 'zod';
import { CHANNEL_ID } from './channel-id.js';

/** The id of the account used when `channels.clawlink.accounts` names none. */
export const DEFAULT_ACCOUNT_ID = 'default';

/** Who may send the agent direct messages: OpenClaw's `dmPolicy`. */
export type DmPolicy = 'open' | 'allowlist' | 'disabled';

/** Which groups the agent answers in: OpenClaw's `groupPolicy`. */
export type GroupPolicy = 'open' | 'allowlist' | 'disabled';

/** The OpenClaw policy keys, accepted at `channels.clawlink` (defaults) and per account. */
export interface ClawlinkPolicyConfig {
  /** `open` (default): anyone; `allowlist`: only `allowFrom`; `disabled`: no direct messages. */
  dmPolicy?: DmPolicy;
  /** TIM UserIDs whose direct messages are answered under `dmPolicy: 'allowlist'`. */
  allowFrom?: string[];
  /** `open` (default): every group the agent is in; `allowlist`: the groups in `groups`; `disabled`: none. */
  groupPolicy?: GroupPolicy;
  /** TIM UserIDs whose group messages are answered; absent: everyone in the group. */
  groupAllowFrom?: string[];
  /** Per group (TIM group id, or `'*'` for every group): `requireMention` (default true). */
  groups?: Record<string, { requireMention?: boolean }>;
  /** Longest piece of text sent in one TIM message, in characters. */
  textChunkLimit?: number;
  /** Count `@all` as a mention of the agent (default false). */
  mentionAll?: boolean;
}

/**
 * One account under `channels.clawlink.accounts.<accountId>`: the `@clawlink/core` account
 * config without `accountId` (credentials, server, stateDir, catchUp, replies, stream,
 * agentRequests, ...), with OpenClaw's policy keys instead of core's `groups`/`direct`.
 */
export interface ClawlinkAccountEntry extends ClawlinkPolicyConfig {
  /** `false` keeps the account configured but not started. */
  enabled?: boolean;
  /** A display name for OpenClaw's status. */
  name?: string;
  [coreField: string]: unknown;
}

/** `channels.clawlink` as a user writes it. */
export interface ClawlinkChannelConfig extends ClawlinkPolicyConfig {
  /** `false` turns the whole channel off. */
  enabled?: boolean;
  /** The accounts, keyed by account id. */
  accounts?: Record<string, ClawlinkAccountEntry>;
}

/** One account resolved from OpenClaw's config, valid or not. */
export interface ResolvedClawlinkAccount {
  readonly accountId: string;
  readonly name?: string;
  /** False when the account or the channel says `enabled: false`. */
  readonly enabled: boolean;
  /** True when the account has credentials (it may still be invalid: see `issues`). */
  readonly configured: boolean;
  /** Every problem found, with its full OpenClaw path and what to write; empty when valid. */
  readonly issues: readonly ConfigIssue[];
  /** The core account config the runtime is created from; undefined when `issues` is not empty. */
  readonly core?: AccountConfigInput;
  /** `textChunkLimit`, when set. */
  readonly textChunkLimit?: number;
  /** The policy in effect, for status and doctor. */
  readonly dmPolicy: DmPolicy;
  readonly allowFrom: readonly string[];
  readonly groupPolicy: GroupPolicy;
}

/** OpenClaw's config: only the part this plugin reads. */
export interface OpenClawConfigLike {
  readonly channels?: unknown;
}

const POLICY_KEYS = [
  'dmPolicy',
  'allowFrom',
  'groupPolicy',
  'groupAllowFrom',
  'groups',
  'textChunkLimit',
  'mentionAll',
] as const;

/** Policy keys read live: changing one needs no restart of the account (OpenClaw `reload.noopPrefixes`). */
export const LIVE_POLICY_PATHS: readonly string[] = POLICY_KEYS.flatMap((key) => [
  `channels.${CHANNEL_ID}.${key}`,
  `channels.${CHANNEL_ID}.accounts.*.${key}`,
]);

/** Core account fields an account entry may carry (everything but the policy core derives). */
const CORE_KEYS = new Set([
  'server',
  'credentials',
  'stateDir',
  'onKicked',
  'reconnect',
  'credentialRetry',
  'catchUp',
  'dispatch',
  'replies',
  'stream',
  'agentRequests',
]);
const ENTRY_KEYS = ['enabled', 'name', ...POLICY_KEYS, ...CORE_KEYS];
const ROOT_KEYS = ['enabled', 'accounts', ...POLICY_KEYS];

const expecting = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `missing — write ${what}` : `expected ${what}`;

const userIds = (what: string) =>
  z.array(z.string().min(1, { error: expecting(what) }), { error: expecting(what) }).optional();

const policyShape = {
  dmPolicy: z
    .enum(['open', 'allowlist', 'disabled'], {
      error: expecting(
        "'open' (anyone may message the agent directly), 'allowlist' (only allowFrom) or 'disabled'",
      ),
    })
    .optional(),
  allowFrom: userIds("a list of TIM UserIDs, e.g. ['alice']"),
  groupPolicy: z
    .enum(['open', 'allowlist', 'disabled'], {
      error: expecting(
        "'open' (every group the agent is in), 'allowlist' (only the group ids under groups) or 'disabled'",
      ),
    })
    .optional(),
  groupAllowFrom: userIds(
    "a list of TIM UserIDs whose group messages are answered, e.g. ['alice']",
  ),
  groups: z
    .record(
      z.string().min(1),
      z.strictObject(
        {
          requireMention: z
            .boolean({ error: expecting('true or false (default true)') })
            .optional(),
        },
        { error: expecting("an object { requireMention? } for this group id (or '*')") },
      ),
      {
        error: expecting(
          'an object keyed by TIM group id or \'*\', e.g. { "*": { "requireMention": true } }',
        ),
      },
    )
    .optional(),
  textChunkLimit: z
    .number({ error: expecting('a positive whole number of characters, e.g. 3000') })
    .int({ error: expecting('a positive whole number of characters, e.g. 3000') })
    .positive({ error: expecting('a positive whole number of characters, e.g. 3000') })
    .optional(),
  mentionAll: z
    .boolean({ error: expecting('true or false: count @all as a mention (default false)') })
    .optional(),
};

const policySchema = z.object(policyShape);

/**
 * The ids of the accounts under `channels.clawlink.accounts`; `default` when the section exists
 * but lists none (so status and doctor say what to write), none without the section.
 */
export function listAccountIds(cfg: OpenClawConfigLike): string[] {
  const section = channelSection(cfg);
  if (!section) return [];
  const accounts = isRecord(section.accounts) ? Object.keys(section.accounts) : [];
  return accounts.length > 0 ? accounts : [DEFAULT_ACCOUNT_ID];
}

/**
 * Resolves one account from OpenClaw's config: the channel root's policy keys are defaults,
 * the account's own win. Never throws: problems are listed in `issues` with their full path
 * (e.g. `channels.clawlink.accounts.bot.credentials.apiKey`) and what to write.
 */
export function resolveAccount(
  cfg: OpenClawConfigLike,
  accountId: string = DEFAULT_ACCOUNT_ID,
  defaults: { stateDir?: string } = {},
): ResolvedClawlinkAccount {
  const rootPath = `channels.${CHANNEL_ID}`;
  const entryPath = `${rootPath}.accounts.${accountId}`;
  const section = channelSection(cfg) ?? {};
  const issues: ConfigIssue[] = [];
  const rawEntry = isRecord(section.accounts) ? section.accounts[accountId] : undefined;
  if (rawEntry !== undefined && !isRecord(rawEntry)) {
    issues.push({ path: entryPath, message: 'expected an account object { credentials, ... }' });
  }
  const entry = isRecord(rawEntry) ? rawEntry : {};
  issues.push(...unknownKeys(section, ROOT_KEYS, rootPath));
  issues.push(...unknownKeys(entry, ENTRY_KEYS, entryPath));
  const root = parsePolicy(section, rootPath, issues);
  const own = parsePolicy(entry, entryPath, issues);
  const policy = { ...root, ...own, groups: { ...root.groups, ...own.groups } };

  const dmPolicy = policy.dmPolicy ?? 'open';
  const groupPolicy = policy.groupPolicy ?? 'open';
  const allowFrom = policy.allowFrom ?? [];
  const enabled = section.enabled !== false && entry.enabled !== false;
  const configured = entry.credentials !== undefined;

  const coreInput: Record<string, unknown> = { accountId };
  for (const [key, value] of Object.entries(entry)) {
    if (CORE_KEYS.has(key)) coreInput[key] = value;
  }
  if (coreInput.stateDir === undefined && defaults.stateDir !== undefined) {
    coreInput.stateDir = defaults.stateDir;
  }
  Object.assign(coreInput, corePolicy({ ...policy, dmPolicy, groupPolicy, allowFrom }));
  let valid = issues.length === 0;
  try {
    parseAccountConfig(coreInput);
  } catch (error) {
    valid = false;
    const found = ConfigError.isInstance(error)
      ? error.issues
      : [{ path: '', message: error instanceof Error ? error.message : String(error) }];
    for (const issue of found) {
      issues.push({
        path: issue.path ? `${entryPath}.${issue.path}` : entryPath,
        message: issue.message,
      });
    }
  }
  const core = valid ? (coreInput as AccountConfigInput) : undefined;
  return {
    accountId,
    ...(typeof entry.name === 'string' ? { name: entry.name } : {}),
    enabled,
    configured,
    issues,
    ...(core ? { core } : {}),
    ...(policy.textChunkLimit ? { textChunkLimit: policy.textChunkLimit } : {}),
    dmPolicy,
    allowFrom,
    groupPolicy,
  };
}

type Policy = z.output<typeof policySchema>;

/**
 * Core's gate settings for an OpenClaw policy: `dmPolicy`/`allowFrom` become `direct`,
 * `groupPolicy`/`groups`/`groupAllowFrom`/`mentionAll` become `groups`, and core's debounce is
 * off (OpenClaw queues and debounces itself).
 */
export function corePolicy(
  policy: Policy & { dmPolicy: DmPolicy; groupPolicy: GroupPolicy; allowFrom: string[] },
): Pick<AccountConfigInput, 'direct' | 'groups' | 'debounce'> {
  const groupIds = Object.keys(policy.groups ?? {});
  const channels: Record<string, { requireMention: boolean }> = {};
  for (const [id, group] of Object.entries(policy.groups ?? {})) {
    if (id !== '*' && group.requireMention !== undefined) {
      channels[id] = { requireMention: group.requireMention };
    }
  }
  const allow =
    policy.groupPolicy === 'open'
      ? ['*']
      : policy.groupPolicy === 'disabled'
        ? []
        : groupIds.includes('*')
          ? ['*']
          : groupIds;
  return {
    direct: {
      enabled: policy.dmPolicy !== 'disabled',
      allowFrom: policy.dmPolicy === 'open' ? ['*'] : policy.allowFrom,
    },
    groups: {
      requireMention: policy.groups?.['*']?.requireMention ?? true,
      mentionAll: policy.mentionAll ?? false,
      allow,
      deny: [],
      ...(policy.groupAllowFrom ? { allowFrom: policy.groupAllowFrom } : {}),
      channels,
    },
    debounce: { windowMs: 0 },
  };
}

function parsePolicy(raw: Record<string, unknown>, path: string, issues: ConfigIssue[]): Policy {
  const picked = Object.fromEntries(POLICY_KEYS.filter((k) => k in raw).map((k) => [k, raw[k]]));
  const result = policySchema.safeParse(picked);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    issues.push({ path: [path, ...issue.path.map(String)].join('.'), message: issue.message });
  }
  return {};
}

function unknownKeys(
  raw: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
): ConfigIssue[] {
  return Object.keys(raw)
    .filter((key) => !allowed.includes(key))
    .map((key) => ({
      path: `${path}.${key}`,
      message: `unknown field — remove it or check its spelling; the fields here are: ${allowed.join(', ')}`,
    }));
}

function channelSection(cfg: OpenClawConfigLike): Record<string, unknown> | undefined {
  const channels = isRecord(cfg.channels) ? cfg.channels : undefined;
  const section = channels?.[CHANNEL_ID];
  return isRecord(section) ? section : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
