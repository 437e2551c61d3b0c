import type { NormalisedMessage } from './normalise.js';
import type { PipelineConfig } from './pipeline-config.js';

/** Why {@link gate} kept a message from the dispatch (a metric label each). */
export type GateReason =
  /** A group message that does not address the agent, where a mention is required. */
  | 'not_mentioned'
  /** The group is in `groups.deny`. */
  | 'group_denied'
  /** The group is not in `groups.allow`. */
  | 'group_not_allowed'
  /** A group message from a sender not in `groups.allowFrom`. */
  | 'group_sender_not_allowed'
  /** A direct message while `direct.enabled` is false. */
  | 'direct_disabled'
  /** A direct message from a sender not in `direct.allowFrom`. */
  | 'sender_not_allowed';

/** What {@link gate} decided. */
export type GateResult =
  | { readonly pass: true }
  | { readonly pass: false; readonly reason: GateReason };

/** The policy sections {@link gate} reads. */
export type GatePolicy = Pick<PipelineConfig, 'groups' | 'direct'>;

/** What {@link gate} knows about the receiving agent. */
export interface GateContext {
  /** This agent's TIM UserID. */
  readonly selfUserId: string;
}

const PASS: GateResult = { pass: true };
const ANY = '*';

/**
 * Decides whether a normalised message reaches the dispatch. Group messages: `deny` wins over
 * `allow` (`'*'` matches any group), then the sender must match `groups.allowFrom` when set,
 * then a mention is required unless `requireMention` is off (per channel in
 * `groups.channels`, else for all groups). Direct messages: `enabled`, then
 * the sender must match `allowFrom`. Agent requests pass: the agent-requests policy
 * (`agentRequests.allowFrom`) authorises them, never the group or direct policy.
 */
export function gate(
  message: NormalisedMessage,
  policy: GatePolicy,
  context: GateContext,
): GateResult {
  if (message.kind === 'agent_request') return PASS;
  const { conversation } = message;
  if (conversation.type === 'c2c') {
    if (!policy.direct.enabled) return { pass: false, reason: 'direct_disabled' };
    if (!matches(policy.direct.allowFrom, message.senderId)) {
      return { pass: false, reason: 'sender_not_allowed' };
    }
    return PASS;
  }
  const { groups } = policy;
  if (matches(groups.deny, conversation.id)) return { pass: false, reason: 'group_denied' };
  if (!matches(groups.allow, conversation.id)) return { pass: false, reason: 'group_not_allowed' };
  if (groups.allowFrom && !matches(groups.allowFrom, message.senderId)) {
    return { pass: false, reason: 'group_sender_not_allowed' };
  }
  const requireMention = groups.channels[conversation.id]?.requireMention ?? groups.requireMention;
  if (requireMention && !isMentioned(message, policy, context)) {
    return { pass: false, reason: 'not_mentioned' };
  }
  return PASS;
}

/**
 * Whether a message addresses the agent (an event's `wasMentioned`): direct messages and
 * agent requests always do; a group message when it @-mentions the agent's UserID, @all with
 * `groups.mentionAll` on, or quotes one of the agent's messages.
 */
export function isMentioned(
  message: NormalisedMessage,
  policy: GatePolicy,
  context: GateContext,
): boolean {
  if (message.kind === 'agent_request' || message.conversation.type === 'c2c') return true;
  return (
    message.mentions.includes(context.selfUserId) ||
    (message.mentionsAll && policy.groups.mentionAll) ||
    message.quotesSelf
  );
}

function matches(list: readonly string[], id: string): boolean {
  return list.includes(ANY) || list.includes(id);
}
