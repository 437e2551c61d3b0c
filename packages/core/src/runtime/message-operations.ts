import {
  type ChannelMessageOptions,
  type ConversationRef,
  type DirectMessageContent,
  type FetchHistoryOptions,
  fetchHistory,
  type SendOptions,
  type SentMessage,
  sendChannelMessage,
  sendDirectMessage,
} from '../tim/messages.js';
import type { TimMessage } from '../tim/tim-message.js';
import type { OperationContext } from './channel-operations.js';

/**
 * An account's message operations. Each one connects lazily through the account's
 * `ensureConnected()`.
 */
export class MessageOperations {
  readonly #context: OperationContext;

  constructor(context: OperationContext) {
    this.#context = context;
  }

  /** Sends text to a channel, optionally @-mentioning users. */
  async send(
    channelId: string,
    text: string,
    options: ChannelMessageOptions = {},
  ): Promise<SentMessage> {
    return sendChannelMessage(await this.#context.connect(), channelId, text, options);
  }

  /** Sends a direct (C2C) message, text or custom data, to a user. */
  async sendDirect(
    userId: string,
    content: DirectMessageContent,
    options: SendOptions = {},
  ): Promise<SentMessage> {
    return sendDirectMessage(await this.#context.connect(), userId, content, options);
  }

  /** A conversation's history from the server, oldest first. */
  async history(
    conversation: ConversationRef,
    options: FetchHistoryOptions = {},
  ): Promise<TimMessage[]> {
    return fetchHistory(await this.#context.connect(), conversation, options);
  }
}
