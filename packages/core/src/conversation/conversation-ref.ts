/**
 * One TIM conversation: a group (channel) or a one-to-one (C2C) chat with another user.
 * This is the only conversation identity in clawlink: messages, history, the ledger,
 * watermarks, the pipeline and tools all use it.
 */
export interface ConversationRef {
  readonly type: 'group' | 'c2c';
  /** The group id for `group`; the other user's id for `c2c`. */
  readonly id: string;
}

/**
 * The stable string form of a conversation, `group:<groupId>` or `c2c:<userId>`: the key the
 * state store uses for ledger entries and watermarks. {@link parseConversationKey} reverses it.
 */
export function conversationKey(conversation: ConversationRef): string {
  return `${conversation.type}:${conversation.id}`;
}

/**
 * Reads a key made by {@link conversationKey}. Throws a `TypeError` naming the key when it is
 * not one (it must start with `group:` or `c2c:` and have a non-empty id).
 */
export function parseConversationKey(key: string): ConversationRef {
  const colon = key.indexOf(':');
  const type = colon < 0 ? '' : key.slice(0, colon);
  const id = colon < 0 ? '' : key.slice(colon + 1);
  if ((type !== 'group' && type !== 'c2c') || id === '') {
    throw new TypeError(
      `'${key}' is not a conversation key: expected 'group:<groupId>' or 'c2c:<userId>'.`,
    );
  }
  return { type, id };
}
