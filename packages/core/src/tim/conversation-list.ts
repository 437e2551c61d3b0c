import type { ConversationRef } from '../conversation/conversation-ref.js';
import type { SdkResponse } from './sdk-types.js';
import type { TimClient } from './tim-client.js';

/** One entry of TIM's conversation list. */
export interface ConversationSummary {
  readonly conversation: ConversationRef;
  /** Time of its last message, in milliseconds since the epoch; undefined when TIM gave none. */
  readonly lastMessageTime: number | undefined;
  /** Messages this account has not read. */
  readonly unreadCount: number;
}

/** The SDK's conversation, as far as it is read here. */
interface SdkConversation {
  conversationID: string;
  type: string;
  unreadCount?: number;
  lastMessage?: { lastTime?: number | string };
}

type ConversationListSdk = {
  getConversationList(): Promise<SdkResponse<{ conversationList: SdkConversation[] }>>;
};

/**
 * TIM's conversation list of this account (`getConversationList`): one entry per one-to-one
 * chat and group with messages, so catch-up finds chats with peers it never wrote to. System
 * conversations are left out.
 */
export async function listConversations(client: TimClient): Promise<ConversationSummary[]> {
  const { data } = await client.call('listConversations', (tim) =>
    (tim as unknown as ConversationListSdk).getConversationList(),
  );
  const result: ConversationSummary[] = [];
  for (const entry of data.conversationList ?? []) {
    const conversation = refOf(entry);
    if (!conversation) continue;
    const lastTime = Number(entry.lastMessage?.lastTime);
    result.push({
      conversation,
      lastMessageTime: Number.isFinite(lastTime) && lastTime > 0 ? lastTime * 1000 : undefined,
      unreadCount: Number(entry.unreadCount ?? 0) || 0,
    });
  }
  return result;
}

function refOf(entry: SdkConversation): ConversationRef | undefined {
  const id = entry.conversationID ?? '';
  if (entry.type === 'C2C' && id.startsWith('C2C') && id.length > 3) {
    return { type: 'c2c', id: id.slice(3) };
  }
  if (entry.type === 'GROUP' && id.startsWith('GROUP') && id.length > 5) {
    return { type: 'group', id: id.slice(5) };
  }
  return undefined;
}
