import type { ConversationRef } from '@clawlink/core';
import { CHANNEL_ID } from './channel-id.js';

/** The target prefixes of the `messaging` grammar: `group:<groupId>` and `user:<userId>`. */
export const TARGET_PREFIXES = ['group', 'user'] as const;

/** The grammar, for OpenClaw's hints and errors. */
export const TARGET_HINT = 'group:<TIM group id> or user:<TIM UserID>';

const PATTERN = /^(?:clawlink:)?(group|user):(.+)$/i;

/**
 * Parses an OpenClaw target (`group:<groupId>`, `user:<userId>`, optionally prefixed with
 * `clawlink:`) into a TIM conversation; undefined when it is neither.
 */
export function parseTarget(raw: string): ConversationRef | undefined {
  const match = PATTERN.exec(raw.trim());
  const kind = match?.[1]?.toLowerCase();
  const id = match?.[2]?.trim();
  if (!kind || !id) return undefined;
  return { type: kind === 'group' ? 'group' : 'c2c', id };
}

/** The OpenClaw target of a TIM conversation: `group:<groupId>` or `user:<userId>`. */
export function formatTarget(conversation: ConversationRef): string {
  return `${conversation.type === 'group' ? 'group' : 'user'}:${conversation.id}`;
}

/** The target written canonically (`group:<id>` / `user:<id>`), or undefined when it is not one. */
export function normalizeTarget(raw: string): string | undefined {
  const conversation = parseTarget(raw);
  return conversation ? formatTarget(conversation) : undefined;
}

/** An error for a target outside the grammar, saying what to write. */
export function invalidTargetError(raw: string): Error {
  return new Error(
    `${CHANNEL_ID}: '${raw}' is not a clawlink target; write ${TARGET_HINT}, e.g. --target group:@TGS#1abc`,
  );
}
