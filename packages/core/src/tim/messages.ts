import { AT_ALL_MARKER, TIM_LIMITS } from '@clawlink/tim-facts';
import type { ConversationRef } from '../conversation/conversation-ref.js';
import { TimError } from '../errors/tim-error.js';
import { nextSequenceOf } from './channels.js';
import type { SdkInstance, SdkMessage } from './sdk-types.js';
import type { TimClient } from './tim-client.js';
import { requireText, requireUserId, utf8Bytes } from './tim-limits.js';
import { type TimMessage, toTimMessage } from './tim-message.js';

/** Content of a message: text, or custom data (e.g. an agent request envelope). */
export type MessageContent =
  | string
  | { custom: { data: string; description?: string; extension?: string } };

/** Options of {@link sendMessage}. */
export interface SendOptions {
  /** Stored with the message and delivered to readers (clawlink puts reply correlation here). */
  cloudCustomData?: string;
  /** User ids to @-mention: group text messages only. */
  mentions?: string[];
  /** Mention everyone (@all): group text messages only. */
  mentionAll?: boolean;
  /**
   * An online message (TIM's `onlineUserOnly`), one-to-one only: delivered to the recipient's
   * sessions online now and never stored (no history, no offline push, no unread count), as
   * TUIKit's "typing" status is sent.
   */
  onlineOnly?: boolean;
}

/** A message TIM accepted. */
export interface SentMessage {
  messageId: string;
  /** Server time, in milliseconds since the epoch. */
  time: number;
  /** The group message sequence (group messages). */
  seq?: number;
}

/** Options of {@link fetchHistory}. */
export interface FetchHistoryOptions {
  /** How many messages, 1 to 100 (default 20). */
  count?: number;
  /**
   * Only messages older than this one: a message id (any conversation) or, for groups, a
   * message sequence number.
   */
  before?: string | number;
}

const DEFAULT_HISTORY = 20;
const MAX_HISTORY = 100;
/** How far back (in SDK pages of 15) `before: <message id>` looks for that message. */
const MAX_SEARCH_PAGES = 20;

/**
 * Sends a message to a conversation: text (to a channel optionally @-mentioning users) or
 * custom data. Sizes and ids are checked before anything is sent.
 */
export async function sendMessage(
  client: TimClient,
  conversation: ConversationRef,
  content: MessageContent,
  options: SendOptions = {},
): Promise<SentMessage> {
  const op = 'sendMessage';
  const to = requireConversation(op, conversation);
  const mentions = [...new Set(options.mentions ?? [])];
  const mentioning = mentions.length > 0 || options.mentionAll === true;
  if (mentioning && (conversation.type !== 'group' || typeof content !== 'string')) {
    throw new TimError(
      'INVALID_ARGUMENT',
      `${op} failed: mentions and mentionAll are for text messages to a channel (group); leave them out here.`,
      { operation: op },
    );
  }
  for (const userId of mentions) requireUserId(op, 'a mentioned user id', userId);
  if (options.onlineOnly === true && conversation.type !== 'c2c') {
    throw new TimError(
      'INVALID_ARGUMENT',
      `${op} failed: onlineOnly is for one-to-one (c2c) messages; leave it out for a channel.`,
      { operation: op },
    );
  }
  let payload: Record<string, unknown>;
  if (typeof content === 'string') {
    requireText(op, 'text', content);
    checkSize(op, utf8Bytes(content), options.cloudCustomData);
    const atUserList = options.mentionAll ? [AT_ALL_MARKER, ...mentions] : mentions;
    payload = atUserList.length > 0 ? { text: content, atUserList } : { text: content };
  } else {
    const custom = content?.custom;
    if (!custom || typeof custom.data !== 'string') {
      throw new TimError(
        'INVALID_ARGUMENT',
        `${op} failed: content must be text or {custom: {data: string}}.`,
        { operation: op },
      );
    }
    payload = {
      data: custom.data,
      description: custom.description ?? '',
      extension: custom.extension ?? '',
    };
    checkSize(
      op,
      utf8Bytes(custom.data) +
        utf8Bytes(custom.description ?? '') +
        utf8Bytes(custom.extension ?? ''),
      options.cloudCustomData,
    );
  }
  return client.call(op, async (tim) => {
    const create =
      typeof content !== 'string'
        ? tim.createCustomMessage
        : mentioning
          ? tim.createTextAtMessage
          : tim.createTextMessage;
    const message = create.call(tim, {
      to,
      conversationType: sdkConversationType(conversation),
      payload,
      ...withCloudData(options),
    });
    return sent(
      await tim.sendMessage(message, options.onlineOnly ? { onlineUserOnly: true } : undefined),
    );
  });
}

/**
 * Reports a conversation read up to its newest message (TIM's read report): in a direct chat
 * the other user's clients then show their messages read (TIM's read receipt), and the
 * conversation's unread count on this account is 0.
 */
export async function markConversationRead(
  client: TimClient,
  conversation: ConversationRef,
): Promise<void> {
  const op = 'markRead';
  const id = requireConversation(op, conversation);
  const conversationID = `${sdkConversationType(conversation)}${id}`;
  await client.call(op, (tim) => tim.setMessageRead({ conversationID }));
}

/** One history fetch at a time per client: the SDK keeps per-conversation paging state. */
const historyQueues = new WeakMap<TimClient, Promise<unknown>>();

/**
 * Per client and direct chat: the oldest message the last fetch returned. The SDK holds the chat
 * from the newest message down to it (and its paging cursor is there), so a fetch `before` it
 * goes on from there, as deep as the chat goes, instead of searching from the newest again.
 */
const directCursors = new WeakMap<TimClient, Map<string, string>>();

/**
 * Recent messages of a conversation, oldest first: the newest `count` (default 20, max 100),
 * or the newest `count` older than `before`. Recalled and deleted messages are left out.
 * Only conversations this account is part of have history (join a channel first). Paging back
 * (`before` the oldest message the last fetch returned) goes as deep as the conversation goes;
 * `before` another message id is looked for among the newest 300 messages of a direct chat.
 */
export async function fetchHistory(
  client: TimClient,
  conversation: ConversationRef,
  options: FetchHistoryOptions = {},
): Promise<TimMessage[]> {
  const op = 'fetchHistory';
  const id = requireConversation(op, conversation);
  const count = options.count ?? DEFAULT_HISTORY;
  if (!Number.isInteger(count) || count < 1 || count > MAX_HISTORY) {
    throw new TimError(
      'INVALID_ARGUMENT',
      `${op} failed: count must be 1 to ${MAX_HISTORY} (got ${count}).`,
      {
        operation: op,
      },
    );
  }
  const { before } = options;
  if (
    typeof before === 'number' &&
    (conversation.type !== 'group' || !Number.isInteger(before) || before < 1)
  ) {
    throw new TimError(
      'INVALID_ARGUMENT',
      `${op} failed: a numeric 'before' is a group message sequence (a positive integer); for direct chats pass a message id.`,
      { operation: op },
    );
  }
  if (typeof before === 'string') requireText(op, "'before'", before);
  const run = () =>
    conversation.type === 'group'
      ? walkGroup(client, id, count, before)
      : pageBack(client, `C2C${id}`, count, before as string | undefined);
  const previous = historyQueues.get(client) ?? Promise.resolve();
  const result = previous.then(run, run);
  historyQueues.set(
    client,
    result.catch(() => undefined),
  );
  return result;
}

/**
 * Direct chats: pages back with the SDK's `getMessageList`, which serves the conversation from
 * its in-memory copy (kept current by live messages) and fetches older pages from TIM. Its
 * cursor is a message id the SDK holds: `before` the oldest message the last fetch of this chat
 * returned, the walk goes on from there (so a caller paging back goes as deep as the chat
 * goes); before another message, it is looked for among the newest messages first.
 */
async function pageBack(
  client: TimClient,
  conversationID: string,
  count: number,
  before?: string,
): Promise<TimMessage[]> {
  const resume = before !== undefined && (await holdsCursor(client, conversationID, before));
  let collected: SdkMessage[] = [];
  let next = resume ? before : undefined;
  /** Whether `before` is among `collected` (or, resuming, older than all of it). */
  let found = before === undefined || resume;
  let searched = 0;
  let pagesLeft = pagesFor(count);
  for (;;) {
    const cursor = next;
    const { data } = await client.call('fetchHistory', (tim: SdkInstance) =>
      tim.getMessageList({
        conversationID,
        count: TIM_LIMITS.historyPage,
        ...(cursor ? { nextReqMessageID: cursor } : {}),
      }),
    );
    collected = [...(data.messageList ?? []), ...collected];
    if (!found) {
      found = olderThan(collected, before as string) !== undefined;
      searched++;
    }
    if (found) {
      if (enough(collected, count, resume ? undefined : before)) break;
      if (--pagesLeft <= 0) break;
    } else if (searched >= MAX_SEARCH_PAGES) {
      break;
    }
    if (data.isCompleted || !data.nextReqMessageID) break;
    next = data.nextReqMessageID;
  }
  const result = finish(resume ? collected : selectOlder(collected, before), count);
  rememberCursor(client, conversationID, result[0]?.id);
  return result;
}

/** Whether a fetch before `messageId` can go on from the SDK's cursor (see `directCursors`). */
async function holdsCursor(
  client: TimClient,
  conversationID: string,
  messageId: string,
): Promise<boolean> {
  if (directCursors.get(client)?.get(conversationID) !== messageId) return false;
  // Gone when the SDK dropped its copy of the chat (a fetch of the newest messages resets it).
  const held = await client.call('fetchHistory', (tim: SdkInstance) =>
    (tim as SdkInstance & { findMessage(id: string): SdkMessage | null }).findMessage(messageId),
  );
  return held?.conversationID === conversationID;
}

function rememberCursor(client: TimClient, conversationID: string, oldest: string | undefined) {
  let cursors = directCursors.get(client);
  if (!cursors) {
    cursors = new Map();
    directCursors.set(client, cursors);
  }
  if (oldest === undefined) cursors.delete(conversationID);
  else cursors.set(conversationID, oldest);
}

/**
 * Groups: asks TIM directly, walking back by message sequence with `getMessageListHopping`
 * from `before` (a sequence) or from the group's next sequence (read from its profile).
 */
async function walkGroup(
  client: TimClient,
  groupId: string,
  count: number,
  before?: string | number,
): Promise<TimMessage[]> {
  const conversationID = `GROUP${groupId}`;
  let top: number;
  if (typeof before === 'number') {
    top = before;
  } else {
    const { data } = await client.call('fetchHistory', (tim: SdkInstance) =>
      tim.getGroupProfile({ groupID: groupId }),
    );
    const next = nextSequenceOf(data.group);
    if (next === undefined) {
      throw new TimError(
        'TIM_ERROR',
        `fetchHistory failed: TIM did not report channel '${groupId}'s message sequence; retry later.`,
        { operation: 'fetchHistory' },
      );
    }
    top = next;
  }
  let collected: SdkMessage[] = [];
  let cursor = top - 1;
  const maxPages = typeof before === 'string' ? MAX_SEARCH_PAGES : pagesFor(count);
  for (let page = 0; page < maxPages && cursor >= 1; page++) {
    const sequence = cursor;
    const { data } = await client.call('fetchHistory', (tim: SdkInstance) =>
      tim.getMessageListHopping({
        conversationID,
        sequence,
        count: TIM_LIMITS.historyPage,
        direction: 0,
      }),
    );
    const batch = (data.messageList ?? []).filter(
      (m) => typeof m.sequence === 'number' && m.sequence <= sequence,
    );
    if (batch.length === 0) break;
    collected = bySequence([...batch, ...collected]);
    cursor = (collected[0]?.sequence ?? 1) - 1;
    if (enough(collected, count, typeof before === 'string' ? before : undefined)) break;
    if (data.isCompleted) break;
  }
  return finish(selectOlder(collected, typeof before === 'string' ? before : undefined), count);
}

/** SDK pages needed for `count` messages (one spare for recalled or deleted ones). */
function pagesFor(count: number): number {
  return Math.ceil(count / TIM_LIMITS.historyPage) + 1;
}

function bySequence(messages: SdkMessage[]): SdkMessage[] {
  return [...messages].sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0));
}

/** Whether `collected` (oldest first) holds `count` messages older than `before`. */
function enough(collected: SdkMessage[], count: number, before: string | undefined): boolean {
  const older = before === undefined ? collected : olderThan(collected, before);
  return older !== undefined && older.length >= count;
}

/** The messages older than `before` (all of them without one); fails when it is not there. */
function selectOlder(collected: SdkMessage[], before: string | undefined): SdkMessage[] {
  if (before === undefined) return collected;
  const older = olderThan(collected, before);
  if (!older) {
    throw new TimError(
      'INVALID_ARGUMENT',
      `fetchHistory failed: message '${before}' is not among the last ${MAX_SEARCH_PAGES * TIM_LIMITS.historyPage} messages of the conversation; pass a recent message id (or, for groups, a sequence number).`,
      { operation: 'fetchHistory' },
    );
  }
  return older;
}

/** The messages before the one with id `before`, or undefined when it is not in `messages`. */
function olderThan(messages: SdkMessage[], before: string): SdkMessage[] | undefined {
  const index = messages.findIndex((m) => m.ID === before);
  return index === -1 ? undefined : messages.slice(0, index);
}

/**
 * The newest `count` of `messages` (already oldest first: TIM's times have second precision,
 * so order comes from the SDK's pages or group sequences, never from re-sorting by time),
 * without duplicates, recalled or deleted ones.
 */
function finish(messages: SdkMessage[], count: number): TimMessage[] {
  const seen = new Set<string>();
  const kept = messages.filter((m) => {
    if (m.isRevoked || m.isDeleted || seen.has(m.ID)) return false;
    seen.add(m.ID);
    return true;
  });
  return kept.slice(-count).map(toTimMessage);
}

function sent(response: { data: { message: SdkMessage } }): SentMessage {
  const { message } = response.data;
  const result: SentMessage = {
    messageId: message.ID,
    time: Math.round(Number(message.time) * 1000),
  };
  if (message.conversationType === 'GROUP' && typeof message.sequence === 'number')
    result.seq = message.sequence;
  return result;
}

function withCloudData(options: SendOptions): { cloudCustomData?: string } {
  return options.cloudCustomData ? { cloudCustomData: options.cloudCustomData } : {};
}

/** Checks a conversation and returns its id (a group id, or a valid UserID for C2C). */
/** The SDK's name of a conversation's type, as in its `conversationType` and `conversationID`. */
function sdkConversationType(conversation: ConversationRef): 'GROUP' | 'C2C' {
  return conversation.type === 'group' ? 'GROUP' : 'C2C';
}

function requireConversation(op: string, conversation: ConversationRef): string {
  if (conversation?.type === 'group') return requireText(op, 'conversation.id', conversation.id);
  if (conversation?.type === 'c2c') return requireUserId(op, 'conversation.id', conversation.id);
  throw new TimError(
    'INVALID_ARGUMENT',
    `${op} failed: conversation must be {type: 'group' | 'c2c', id}, e.g. {type: 'group', id: 'team'}.`,
    { operation: op },
  );
}

/** TIM's 12 KB limit applies to the whole message: content plus cloud custom data. */
function checkSize(op: string, contentBytes: number, cloudCustomData: string | undefined): void {
  if (cloudCustomData !== undefined && typeof cloudCustomData !== 'string') {
    throw new TimError('INVALID_ARGUMENT', `${op} failed: cloudCustomData must be a string.`, {
      operation: op,
    });
  }
  const total = contentBytes + utf8Bytes(cloudCustomData ?? '');
  if (total > TIM_LIMITS.messageBytes) {
    throw new TimError(
      'TOO_LARGE',
      `${op} failed: the message is ${total} bytes (content plus cloudCustomData), over TIM's ${TIM_LIMITS.messageBytes}-byte limit; split it into smaller messages.`,
      { operation: op },
    );
  }
}
