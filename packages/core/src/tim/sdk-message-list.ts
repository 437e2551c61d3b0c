import type { Clock } from '../runtime/clock.js';
import type { SdkMessage } from './sdk-types.js';

/**
 * tim-js-sdk 2.27.6 keeps every message of a session in memory, per conversation
 * (`ConversationModule._messageListHandler.list`: conversation id -> unique id -> message, oldest
 * first), and scans a copy of a conversation's whole list for every message it receives
 * (`isMessageSentByCurrentInstance` -> `hasLocalMessage`): over 40 000 messages in one group,
 * CPU per message grew sixfold and the heap by ~1.25 KB per message, forever. This file keeps
 * each list to its newest messages without taking from the SDK what it relies on:
 *
 * - dedupe of pushes it already has, read receipts and the conversation's last message only
 *   look at the newest messages;
 * - `getMessageList` pages the list and then asks TIM for older pages from its own cursor: a
 *   trimmed conversation forgets that cursor (and "no older messages"), so TIM is asked from
 *   the newest again and the SDK drops what it already holds; a conversation is never trimmed
 *   while it is being paged (during a `getMessageList` and {@link PAGING_HOLD_MS} after);
 * - message modification finds a message this account sent (`findMessage`) and applies TIM's
 *   new version to it (`onMessageModified`): the account's own messages that leave the list are
 *   kept aside (the newest {@link RETIRED_LIMIT}) and still found and updated.
 */

/** How many messages each conversation keeps (TIM's history page is 15). */
export const SDK_MESSAGE_LIST_LIMIT = 20;
/**
 * How long after a `getMessageList` its conversation is left alone: a pager asks for its next
 * page at once, or after the client's throttle waits (up to 3 x 1 s).
 */
export const PAGING_HOLD_MS = 5_000;
/** How many of the account's own messages stay findable after leaving their list. */
export const RETIRED_LIMIT = 100;

/** The conversation module's id in the SDK's module table (2.27.6: `qn = 11`). */
const CONVERSATION_MODULE = 11;

/** The SDK's `MessageListHandler`, as 2.27.6 has it. */
interface SdkMessageListHandler {
  list: Map<string, Map<string, SdkMessage>>;
  onMessageModified(
    conversationID: string,
    modified: object,
  ): { isUpdated: boolean; message: SdkMessage | null };
  _getUniqueIDOfMessage(message: object): string;
}

/** The part of the SDK's `ConversationModule` that holds a conversation's paging state. */
interface SdkConversationModule {
  _messageListHandler: SdkMessageListHandler;
  _completedMap: Map<string, unknown>;
  _roamingMessageKeyAndTimeMap: Map<string, unknown>;
  _roamingMessageSequenceMap: Map<string, unknown>;
  getMessageList(options: { conversationID?: string }): unknown;
  findMessage(messageID: string): SdkMessage | null;
}

/** One of the account's own messages that left its list. */
interface RetiredMessage {
  conversationID: string;
  uniqueID: string;
  message: SdkMessage;
}

/** Options of {@link boundSdkMessageLists}. */
export interface SdkMessageListOptions {
  /** Times the paging hold. */
  clock: Clock;
  /** Messages kept per conversation; default {@link SDK_MESSAGE_LIST_LIMIT}. */
  limit?: number;
}

/**
 * The bounded message lists of one SDK instance. Create with {@link boundSdkMessageLists}.
 *
 * @internal
 */
export class BoundedSdkMessageLists {
  readonly #conversations: SdkConversationModule;
  readonly #handler: SdkMessageListHandler;
  readonly #clock: Clock;
  readonly #limit: number;
  /** Per conversation: `getMessageList` calls running, and when the last one settled. */
  readonly #paging = new Map<string, { running: number; settledAt: number }>();
  /** The account's own messages that left their list, by message id, oldest first. */
  readonly #retired = new Map<string, RetiredMessage>();

  constructor(conversations: SdkConversationModule, options: SdkMessageListOptions) {
    this.#conversations = conversations;
    this.#handler = conversations._messageListHandler;
    this.#clock = options.clock;
    this.#limit = options.limit ?? SDK_MESSAGE_LIST_LIMIT;
    this.#wrapGetMessageList();
    this.#wrapFindMessage();
    this.#wrapOnMessageModified();
  }

  /**
   * Trims the lists of these conversations (e.g. those of a batch of received messages) to
   * their newest messages; a conversation being paged is left for a later call.
   */
  trim(conversationIDs: Iterable<string>): void {
    for (const conversationID of conversationIDs) {
      const list = this.#handler.list.get(conversationID);
      if (!list || list.size <= this.#limit || this.#isPaging(conversationID)) continue;
      let excess = list.size - this.#limit;
      for (const [uniqueID, message] of list) {
        if (excess-- <= 0) break;
        list.delete(uniqueID);
        if (message.flow === 'out') this.#retire({ conversationID, uniqueID, message });
      }
      // The SDK's cursor into TIM's history pointed below what was dropped: start over.
      this.#conversations._completedMap.delete(conversationID);
      this.#conversations._roamingMessageKeyAndTimeMap.delete(conversationID);
      this.#conversations._roamingMessageSequenceMap.delete(conversationID);
    }
  }

  /** How many messages the SDK holds for each conversation, read from its own list. */
  sizes(): Map<string, number> {
    return new Map([...this.#handler.list].map(([id, list]) => [id, list.size]));
  }

  #isPaging(conversationID: string): boolean {
    const paging = this.#paging.get(conversationID);
    if (!paging) return false;
    if (paging.running > 0 || this.#clock.now() - paging.settledAt < PAGING_HOLD_MS) return true;
    this.#paging.delete(conversationID);
    return false;
  }

  #retire(retired: RetiredMessage): void {
    this.#retired.delete(retired.message.ID);
    this.#retired.set(retired.message.ID, retired);
    if (this.#retired.size > RETIRED_LIMIT) {
      const oldest = this.#retired.keys().next().value;
      if (oldest !== undefined) this.#retired.delete(oldest);
    }
  }

  #findRetired(conversationID: string, uniqueID: string): RetiredMessage | undefined {
    for (const retired of this.#retired.values()) {
      if (retired.uniqueID === uniqueID && retired.conversationID === conversationID)
        return retired;
    }
    return undefined;
  }

  /** Counts the `getMessageList` calls of each conversation while they run. */
  #wrapGetMessageList(): void {
    const conversations = this.#conversations;
    const original = conversations.getMessageList;
    const paging = this.#paging;
    const clock = this.#clock;
    conversations.getMessageList = function getMessageList(
      this: SdkConversationModule,
      options: { conversationID?: string },
    ) {
      const conversationID = String(options?.conversationID);
      const entry = paging.get(conversationID) ?? { running: 0, settledAt: 0 };
      paging.set(conversationID, entry);
      entry.running++;
      const settle = () => {
        entry.running--;
        entry.settledAt = clock.now();
      };
      let result: unknown;
      try {
        result = original.call(this, options);
      } catch (error) {
        settle();
        throw error;
      }
      if (isThenable(result)) result.then(settle, settle);
      else settle();
      return result;
    };
  }

  /** `findMessage` also finds the account's own messages that left their list. */
  #wrapFindMessage(): void {
    const conversations = this.#conversations;
    const original = conversations.findMessage;
    const retired = this.#retired;
    conversations.findMessage = function findMessage(
      this: SdkConversationModule,
      messageID: string,
    ) {
      return original.call(this, messageID) ?? retired.get(messageID)?.message ?? null;
    };
  }

  /**
   * TIM's new version of a message (this client's edit, or a push) also reaches the account's
   * own messages that left their list: the SDK's own update runs on a one-message list.
   */
  #wrapOnMessageModified(): void {
    const handler = this.#handler;
    const original = handler.onMessageModified;
    const findRetired = (conversationID: string, uniqueID: string) =>
      this.#findRetired(conversationID, uniqueID);
    handler.onMessageModified = function onMessageModified(
      this: SdkMessageListHandler,
      conversationID: string,
      modified: object,
    ) {
      const result = original.call(this, conversationID, modified);
      if (result.message) return result;
      const retired = findRetired(conversationID, this._getUniqueIDOfMessage(modified));
      if (!retired) return result;
      const single = Object.create(this, {
        list: {
          value: new Map([[conversationID, new Map([[retired.uniqueID, retired.message]])]]),
        },
      }) as SdkMessageListHandler;
      return original.call(single, conversationID, modified);
    };
  }
}

const bounded = new WeakMap<object, BoundedSdkMessageLists>();

/**
 * Bounds the message lists of the SDK instance `TIM.create` just made (`internals` is what the
 * loader's `onInstanceCreated` hook received with it). Returns undefined, changing nothing, when
 * the SDK is not laid out as 2.27.6 is.
 *
 * @internal
 */
export function boundSdkMessageLists(
  instance: object,
  internals: object,
  options: SdkMessageListOptions,
): BoundedSdkMessageLists | undefined {
  const conversations = conversationModuleOf(internals);
  if (!conversations) return undefined;
  const lists = new BoundedSdkMessageLists(conversations, options);
  bounded.set(instance, lists);
  return lists;
}

/**
 * The bounded message lists of an SDK instance, if {@link boundSdkMessageLists} bounded them.
 *
 * @internal
 */
export function sdkMessageListsOf(instance: object): BoundedSdkMessageLists | undefined {
  return bounded.get(instance);
}

/** The SDK's conversation module behind `internals`, if it has the expected shape. */
function conversationModuleOf(internals: object): SdkConversationModule | undefined {
  const manager = (internals as { _m?: { getModule?: (id: number) => unknown } })._m;
  if (typeof manager?.getModule !== 'function') return undefined;
  const conversations = manager.getModule(CONVERSATION_MODULE) as Partial<SdkConversationModule>;
  const handler = conversations?._messageListHandler;
  const shaped =
    handler?.list instanceof Map &&
    typeof handler.onMessageModified === 'function' &&
    typeof handler._getUniqueIDOfMessage === 'function' &&
    conversations._completedMap instanceof Map &&
    conversations._roamingMessageKeyAndTimeMap instanceof Map &&
    conversations._roamingMessageSequenceMap instanceof Map &&
    typeof conversations.getMessageList === 'function' &&
    typeof conversations.findMessage === 'function';
  return shaped ? (conversations as SdkConversationModule) : undefined;
}

function isThenable(value: unknown): value is { then(ok: () => void, fail: () => void): unknown } {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
