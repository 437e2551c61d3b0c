import type { ChannelPlugin, OpenClawConfig } from 'openclaw/plugin-sdk/channel-core';
import { chunkTextForOutbound } from 'openclaw/plugin-sdk/text-chunking';
import {
  LIVE_POLICY_PATHS,
  listAccountIds,
  type ResolvedClawlinkAccount,
  resolveAccount,
} from './account-config.js';
import { describeAccount, describeIssues } from './account-snapshot.js';
import { CHANNEL_ID } from './channel-id.js';
import {
  type ClawlinkGatewayContext,
  type StateDirResolver,
  startAccount,
  stopAccount,
} from './gateway.js';
import { SAFE_CHUNK_CHARS, sendText } from './outbound.js';
import { normalizeTarget, parseTarget, TARGET_HINT, TARGET_PREFIXES } from './target.js';

/** Options of {@link createClawlinkChannelPlugin}. */
export interface ClawlinkChannelPluginOptions {
  /** Where an account keeps its state when its config names no `stateDir`. */
  stateDirOf?: StateDirResolver;
}

/**
 * The clawlink channel: Tencent Cloud IM groups and direct chats as an OpenClaw channel.
 * It translates only: the inbound pipeline (ledger, catch-up, ordering), chunking, reply
 * markers and agent requests are `@clawlink/core`'s.
 */
export function createClawlinkChannelPlugin(
  options: ClawlinkChannelPluginOptions = {},
): ChannelPlugin<ResolvedClawlinkAccount> {
  const resolve = (cfg: OpenClawConfig, accountId?: string | null) =>
    resolveAccount(cfg, accountId ?? listAccountIds(cfg)[0], stateDefaults(options, accountId));
  return {
    id: CHANNEL_ID,
    meta: {
      id: CHANNEL_ID,
      label: 'clawlink (Tencent Cloud IM)',
      selectionLabel: 'clawlink: Tencent Cloud IM',
      detailLabel: 'clawlink (Tencent Cloud IM)',
      docsPath: 'https://www.npmjs.com/package/@clawlink/openclaw',
      blurb: 'Put the agent into Tencent Cloud IM channels and direct chats through clawlink.',
      markdownCapable: true,
    },
    capabilities: {
      chatTypes: ['direct', 'group'],
      reply: true,
      media: false,
      reactions: false,
      edit: false,
      unsend: false,
      threads: false,
      polls: false,
      blockStreaming: false,
    },
    reload: { configPrefixes: [`channels.${CHANNEL_ID}`], noopPrefixes: [...LIVE_POLICY_PATHS] },
    config: {
      listAccountIds: (cfg) => listAccountIds(cfg),
      resolveAccount: (cfg, accountId) => resolve(cfg, accountId),
      defaultAccountId: (cfg) => listAccountIds(cfg)[0] ?? 'default',
      inspectAccount: (cfg, accountId) => {
        const account = resolve(cfg, accountId);
        return {
          accountId: account.accountId,
          enabled: account.enabled,
          configured: account.configured && account.issues.length === 0,
          ...(account.issues.length > 0 ? { configProblems: describeIssues(account.issues) } : {}),
        };
      },
      isEnabled: (account) => account.enabled,
      isConfigured: (account) => account.configured && account.issues.length === 0,
      unconfiguredReason: (account) =>
        account.issues.length > 0
          ? describeIssues(account.issues)
          : 'add channels.clawlink.accounts.<accountId> with its credentials',
      describeAccount: (account) => describeAccount(account),
      resolveAllowFrom: ({ cfg, accountId }) => [...resolve(cfg, accountId).allowFrom],
    },
    messaging: {
      targetPrefixes: [...TARGET_PREFIXES],
      directTargetStyle: 'user-prefixed',
      targetIdComparison: 'case-sensitive',
      normalizeTarget: (raw) => normalizeTarget(raw),
      inferTargetChatType: ({ to }) => {
        const conversation = parseTarget(to);
        if (!conversation) return undefined;
        return conversation.type === 'group' ? 'group' : 'direct';
      },
      targetResolver: {
        looksLikeId: (raw) => parseTarget(raw) !== undefined,
        hint: TARGET_HINT,
      },
    },
    outbound: {
      deliveryMode: 'gateway',
      chunker: (text, limit) => chunkTextForOutbound(text, limit),
      chunkerMode: 'text',
      textChunkLimit: SAFE_CHUNK_CHARS,
      resolveTarget: ({ to }) => {
        const target = to ? normalizeTarget(to) : undefined;
        return target
          ? { ok: true, to: target }
          : { ok: false, error: new Error(`clawlink: write the target as ${TARGET_HINT}`) };
      },
      sendText: (ctx) => sendText(ctx),
    },
    status: {
      buildAccountSnapshot: ({ account, runtime }) => ({
        accountId: account.accountId,
        enabled: account.enabled,
        configured: account.configured && account.issues.length === 0,
        ...runtime,
        ...(account.issues.length > 0
          ? { lifecycle: 'blocked', lastError: describeIssues(account.issues) }
          : {}),
      }),
      collectStatusIssues: (snapshots) =>
        snapshots.flatMap((snapshot) =>
          snapshot.lifecycle === 'blocked' && snapshot.lastError
            ? [
                {
                  channel: CHANNEL_ID,
                  accountId: snapshot.accountId,
                  kind:
                    snapshot.stateReason === 'config' || snapshot.configured === false
                      ? ('config' as const)
                      : ('auth' as const),
                  message: snapshot.lastError,
                },
              ]
            : [],
        ),
    },
    doctor: {
      collectPreviewWarnings: ({ cfg }) =>
        listAccountIds(cfg).flatMap((accountId) =>
          resolve(cfg, accountId).issues.map(
            (issue) => `- clawlink: ${issue.path}: ${issue.message}`,
          ),
        ),
    },
    agentPrompt: {
      messageToolHints: () => [
        '',
        '### clawlink (Tencent Cloud IM)',
        `Targets are ${TARGET_HINT}. Plain text; long text is split into several messages.`,
        'The clawlink_* tools list, search, join and leave channels, read members and history, and ask other agents.',
      ],
    },
    gateway: {
      startAccount: (ctx) =>
        startAccount(ctx as unknown as ClawlinkGatewayContext, options.stateDirOf),
      stopAccount: (ctx) => stopAccount(ctx),
    },
  };
}

function stateDefaults(
  options: ClawlinkChannelPluginOptions,
  accountId: string | null | undefined,
): { stateDir?: string } {
  const stateDir = accountId ? options.stateDirOf?.(accountId) : undefined;
  return stateDir ? { stateDir } : {};
}
