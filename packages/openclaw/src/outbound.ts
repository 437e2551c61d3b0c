import type { AccountRuntime } from '@clawlink/core';
import { chunkTextForOutbound } from 'openclaw/plugin-sdk/text-chunking';
import { CHANNEL_ID } from './channel-id.js';
import { getRunningAccount, runningAccountIds } from './running-accounts.js';
import { formatTarget, invalidTargetError, parseTarget } from './target.js';

/**
 * Pieces longer than this many characters are split again before they reach TIM: 3000
 * characters stay under TIM's 12 KB per message whatever the script (at most 4 bytes each).
 */
export const SAFE_CHUNK_CHARS = 3000;

/** What OpenClaw hands `outbound.sendText` (the parts this plugin reads). */
export interface SendTextContext {
  to: string;
  text: string;
  accountId?: string | null;
}

/** What `outbound.sendText` resolves with: OpenClaw's delivery result. */
export interface SendTextResult {
  channel: typeof CHANNEL_ID;
  messageId: string;
  target: { kind: 'channel' | 'chat'; id: string };
  timestamp: number;
}

/**
 * OpenClaw's `outbound.sendText`: sends through the account's running runtime (the gateway's
 * own TIM session, never a second login, which TIM would answer by kicking one of the two).
 * OpenClaw has already split the text at `textChunkLimit`; a piece over
 * {@link SAFE_CHUNK_CHARS} is split again so no TIM message goes over 12 KB.
 */
export async function sendText(ctx: SendTextContext): Promise<SendTextResult> {
  const conversation = parseTarget(ctx.to);
  if (!conversation) throw invalidTargetError(ctx.to);
  const runtime = runningAccount(ctx.accountId ?? undefined);
  const pieces =
    ctx.text.length > SAFE_CHUNK_CHARS
      ? chunkTextForOutbound(ctx.text, SAFE_CHUNK_CHARS)
      : [ctx.text];
  let last: { messageId: string; time: number } | undefined;
  for (const piece of pieces) last = await runtime.messages.send(conversation, piece);
  return {
    channel: CHANNEL_ID,
    messageId: last?.messageId ?? '',
    target: {
      kind: conversation.type === 'group' ? 'channel' : 'chat',
      id: formatTarget(conversation),
    },
    timestamp: last?.time ?? Date.now(),
  };
}

/**
 * The running account a send or a tool uses: the one named, else the only one running.
 * Throws saying what to do when none (or several, unnamed) run in this process.
 */
export function runningAccount(accountId: string | undefined): AccountRuntime {
  const ids = runningAccountIds();
  if (accountId) {
    const runtime = getRunningAccount(accountId);
    if (runtime) return runtime;
    throw new Error(
      `${CHANNEL_ID}: account '${accountId}' is not running in this gateway (running: ${ids.join(', ') || 'none'}); ` +
        'check channels.clawlink.accounts and `openclaw channels status`, and start the gateway with `openclaw gateway`.',
    );
  }
  const only = ids.length === 1 ? getRunningAccount(ids[0] as string) : undefined;
  if (only) return only;
  throw new Error(
    ids.length === 0
      ? `${CHANNEL_ID}: no clawlink account is running in this process; start the gateway (\`openclaw gateway\`) with channels.clawlink.accounts configured.`
      : `${CHANNEL_ID}: several accounts are running (${ids.join(', ')}); name one with --account <id>.`,
  );
}
