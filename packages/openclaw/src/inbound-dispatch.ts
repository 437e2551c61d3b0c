import type { Dispatch, DispatchContext, InboundEvent } from '@clawlink/core';
import type { OpenClawConfig, PluginRuntime } from 'openclaw/plugin-sdk/channel-core';
import { chunkTextForOutbound } from 'openclaw/plugin-sdk/text-chunking';
import type { ResolvedClawlinkAccount } from './account-config.js';
import { CHANNEL_ID } from './channel-id.js';
import { formatTarget } from './target.js';

/** The parts of OpenClaw's channel runtime the inbound path uses. */
export type InboundChannelRuntime = {
  reply: Pick<
    PluginRuntime['channel']['reply'],
    'finalizeInboundContext' | 'dispatchReplyWithBufferedBlockDispatcher'
  >;
  routing: Pick<PluginRuntime['channel']['routing'], 'resolveAgentRoute'>;
};

/** What {@link createOpenClawDispatch} needs. */
export interface OpenClawDispatchOptions {
  /** The OpenClaw account id (the same as the core account id). */
  accountId: string;
  /** OpenClaw's channel runtime (`ctx.channelRuntime` of `startAccount`). */
  channelRuntime: InboundChannelRuntime;
  /** OpenClaw's live config, read once per message (`runtime.config.current()`). */
  currentConfig: () => OpenClawConfig;
  /** The account as the live config says (policy keys read per message). */
  resolveAccount: (cfg: OpenClawConfig) => ResolvedClawlinkAccount;
  /** Called before each dispatch, e.g. to record inbound activity for status. */
  onInbound?: (event: InboundEvent) => void;
  /** Where failures of OpenClaw's dispatcher are reported. */
  onError?: (error: unknown, what: string) => void;
}

/** One reply payload as OpenClaw's dispatcher hands it to `deliver`. */
interface DeliveredPayload {
  text?: string;
  mediaUrl?: string;
  mediaUrls?: string[];
}

/**
 * The core dispatch that runs an inbound TIM event through OpenClaw: it builds OpenClaw's
 * inbound context (sender, group, `WasMentioned`, the channel skill as the group's system
 * prompt, a per-peer DM session) and runs OpenClaw's reply dispatcher, whose `deliver` sends
 * through core's `ctx.reply` (chunked under TIM's limit, quoted, rate-limited). `deliver` is
 * idempotent per payload: the same payload delivered twice is sent once.
 */
export function createOpenClawDispatch(options: OpenClawDispatchOptions): Dispatch {
  const { accountId, channelRuntime } = options;
  return async (event, ctx) => {
    const cfg = options.currentConfig();
    const account = options.resolveAccount(cfg);
    options.onInbound?.(event);
    const isGroup = event.kind === 'channel';
    const target = formatTarget(event.conversation);
    const route = channelRuntime.routing.resolveAgentRoute({
      cfg,
      channel: CHANNEL_ID,
      accountId,
      peer: { kind: isGroup ? 'group' : 'direct', id: event.conversation.id },
      dmScope: dmScopeOf(cfg),
    });
    const last = event.messages[event.messages.length - 1];
    const inbound = channelRuntime.reply.finalizeInboundContext({
      Body: event.text,
      RawBody: event.text,
      CommandBody: event.text,
      BodyForAgent: event.text,
      From: `${CHANNEL_ID}:${event.sender.id}`,
      To: target,
      SessionKey: route.sessionKey,
      AccountId: accountId,
      ChatType: isGroup ? 'group' : 'direct',
      ConversationLabel: event.kind === 'channel' ? event.channel.name : event.sender.nick,
      ...(event.kind === 'channel'
        ? {
            GroupSubject: event.channel.name,
            GroupChannel: event.channel.id,
            ...(event.channel.skill
              ? {
                  GroupSystemPrompt: `What this channel is for, as its owner wrote it:\n${event.channel.skill}`,
                }
              : {}),
          }
        : {}),
      SenderName: event.sender.nick,
      SenderId: event.sender.id,
      Provider: CHANNEL_ID,
      Surface: CHANNEL_ID,
      OriginatingChannel: CHANNEL_ID,
      OriginatingTo: target,
      ...(last ? { MessageSid: last.id } : {}),
      Timestamp: event.time,
      WasMentioned: event.wasMentioned,
      MentionedUserIds: [...event.mentions],
      CommandAuthorized: event.kind === 'direct',
    });
    await channelRuntime.reply.dispatchReplyWithBufferedBlockDispatcher({
      ctx: inbound,
      cfg,
      dispatcherOptions: {
        deliver: createDeliver(ctx, account.textChunkLimit),
        onError: (error: unknown, info: { kind: string }) =>
          options.onError?.(error, `OpenClaw could not deliver a ${info.kind} reply`),
      },
      replyOptions: { abortSignal: ctx.signal },
    });
  };
}

/**
 * OpenClaw's `deliver` over core's `ctx.reply`: text (and media links) go out once per
 * payload, in pieces of at most `textChunkLimit` characters when set (core splits further
 * under TIM's 12 KB limit). A payload delivered again, or a second identical final answer, is
 * not sent again.
 */
export function createDeliver(
  ctx: Pick<DispatchContext, 'reply'>,
  textChunkLimit?: number,
): (payload: DeliveredPayload, info: { kind: string }) => Promise<void> {
  const delivered = new WeakSet<object>();
  const finals = new Set<string>();
  return async (payload, info) => {
    if (delivered.has(payload)) return;
    delivered.add(payload);
    const text = payloadText(payload);
    if (text.length === 0) return;
    if (info.kind === 'final') {
      if (finals.has(text)) return;
      finals.add(text);
    }
    const pieces = textChunkLimit ? chunkTextForOutbound(text, textChunkLimit) : [text];
    for (const piece of pieces) {
      if (piece.trim().length > 0) await ctx.reply(piece);
    }
  };
}

function payloadText(payload: DeliveredPayload): string {
  const media = [...(payload.mediaUrl ? [payload.mediaUrl] : []), ...(payload.mediaUrls ?? [])];
  const lines = [payload.text?.trim() ?? '', ...new Set(media)].filter((line) => line.length > 0);
  return lines.join('\n');
}

/**
 * DMs are kept apart per person: OpenClaw's default `session.dmScope: 'main'` would put every
 * direct chat of every account into one session, so it becomes `per-account-channel-peer`;
 * any other configured scope is kept.
 */
function dmScopeOf(
  cfg: OpenClawConfig,
): 'per-peer' | 'per-channel-peer' | 'per-account-channel-peer' {
  const scope = (cfg as { session?: { dmScope?: string } }).session?.dmScope;
  return scope === 'per-peer' || scope === 'per-channel-peer' ? scope : 'per-account-channel-peer';
}
