import type { ConversationRef } from '../conversation/conversation-ref.js';
import {
  type FetchHistoryOptions,
  fetchHistory,
  type MessageContent,
  markConversationRead,
  type SendOptions,
  type SentMessage,
  sendMessage,
} from '../tim/messages.js';
import type { TimMessage } from '../tim/tim-message.js';
import type { OperationContext } from './channel-operations.js';

/**
 * An account's message operations, the same for channels (groups) and direct (C2C) chats.
 * Each one connects lazily through the account's `ensureConnected()`.
 */
export class MessageOperations {
  readonly #context: OperationContext;

  /** @internal Made by the account runtime. */
  constructor(context: OperationContext) {
    this.#context = context;
  }

  /**
   * Sends text or custom data to a conversation, e.g.
   * `send({type: 'group', id: 'team'}, 'hi @bob', {mentions: ['bob']})` or
   * `send({type: 'c2c', id: 'bob'}, {custom: {data: '{...}'}})`. Mentions are for group text.
   */
  async send(
    conversation: ConversationRef,
    content: MessageContent,
    options: SendOptions = {},
  ): Promise<SentMessage> {
    return sendMessage(await this.#context.connect(), conversation, content, options);
  }

  /**
   * Reports a conversation read up to its newest message: in a direct chat the other user's
   * clients show their messages read. The pipeline does it for the direct messages it answers
   * (`direct.markRead`).
   */
  async markRead(conversation: ConversationRef): Promise<void> {
    await markConversationRead(await this.#context.connect(), conversation);
  }

  /** A conversation's history from the server, oldest first. */
  async history(
    conversation: ConversationRef,
    options: FetchHistoryOptions = {},
  ): Promise<TimMessage[]> {
    return fetchHistory(await this.#context.connect(), conversation, options);
  }
}
