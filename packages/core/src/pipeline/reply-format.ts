import type { ConversationRef } from '../conversation/conversation-ref.js';

/** The key of clawlink's marker in a reply's cloud custom data. */
const MARKER_KEY = 'clawlink';

/** The version of the clawlink marker this code writes and reads. */
const MARKER_VERSION = 1;

/** TUIKit's key for a quoted reply in cloud custom data. */
const MESSAGE_REPLY_KEY = 'messageReply';

/** TUIKit's `messageType` numbers for the message kinds clawlink answers. */
const TUIKIT_MESSAGE_TYPE = { text: 1, custom: 2 } as const;

/** Longest quoted abstract, in characters (TUIKit shows a line or two; bytes count toward 12 KB). */
const MAX_ABSTRACT_CHARS = 100;

/** A quote read from a message's `messageReply` cloud custom data (TUIKit's shape). */
export interface QuotedMessage {
  /** The quoted message's TIM id (`messageID`). */
  readonly messageId: string;
  /** Who wrote the quoted message, as the quoting client named them (nick or UserID). */
  readonly sender: string;
  /** The quoted message's abstract (its text, maybe shortened); '' when absent. */
  readonly abstract: string;
  /** The id of the first message of the reply thread (`messageRootID`), when given. */
  readonly rootId?: string;
}

/**
 * The message a reply answers, as {@link buildReplyFormat} quotes it; a `NormalisedMessage`
 * is one.
 */
export interface AnsweredMessage {
  /** TIM's message id. */
  readonly id: string;
  /** Server time in milliseconds since the epoch. */
  readonly time: number;
  /** Group message sequence, when known. */
  readonly seq?: number;
  /** The message's readable text (quoted, shortened, as the abstract). */
  readonly text: string;
  /** Whether it was a text or a custom message (TUIKit shows the type). */
  readonly content: 'text' | 'custom';
  /** What the answered message itself quoted: its thread root is kept, as TUIKit does. */
  readonly quote?: { readonly rootId?: string };
}

/** How a reply is formatted; mirrors the `replies` section of the pipeline config. */
export interface ReplyFormatOptions {
  /** In groups, quote the answered message (TUIKit's `messageReply`). */
  readonly quote: boolean;
  /** In groups, @-mention the sender (TIM `atUserList` plus a text prefix). */
  readonly mentionSender: boolean;
  /**
   * The text put before the reply when the sender is mentioned; `{nick}` and `{id}` are
   * replaced with the sender's nick and UserID. TIM clients write `'@{nick} '`.
   */
  readonly mentionText: string;
}

/** What to send with a reply's text. */
export interface ReplyFormat {
  /** The reply's cloud custom data (always has the clawlink marker). */
  readonly cloudCustomData: string;
  /** UserIDs to @-mention (the send's `mentions`); empty outside groups or when off. */
  readonly mentions: string[];
  /** Text to put before the reply's first message (e.g. `'@alice '`); '' when none. */
  readonly textPrefix: string;
}

/** The default of {@link ReplyFormatOptions.mentionText}: what TIM clients write, `@nick `. */
export const DEFAULT_MENTION_TEXT = '@{nick} ';

/**
 * Formats a reply to `answered` (the batch, oldest first; the newest is the one quoted) in
 * `conversation`, to `sender` (who is answered). The reply's cloud custom data is one JSON
 * object with two keys:
 *
 * - `messageReply` (groups, with `quote` on): the quote in the shape Tencent's TUIKit writes
 *   when a user replies to a message (TUIChat's `genMessageReply`), so TIM's own clients
 *   show the reply under the quoted message: `{messageAbstract, messageSender, messageID,
 *   messageType, messageTime, messageSequence, version: 1, messageRootID}`.
 * - `clawlink` (always): clawlink's marker of every answered message,
 *   `{"v": 1, "replyTo": ["<message id>", ...]}`. After a crash, catch-up reads it back
 *   with {@link answeredIds} to see a message was already answered and not answer it twice.
 *
 * Example: `{"messageReply":{...},"clawlink":{"v":1,"replyTo":["id1","id2"]}}`. In groups
 * with `mentionSender` on, the sender is also @-mentioned (`mentions` and `textPrefix`).
 */
export function buildReplyFormat(
  conversation: ConversationRef,
  answered: readonly AnsweredMessage[],
  sender: { readonly id: string; readonly nick: string },
  options: ReplyFormatOptions,
): ReplyFormat {
  const quoted = answered.at(-1);
  const inGroup = conversation.type === 'group';
  const data: Record<string, unknown> = {};
  if (inGroup && options.quote && quoted !== undefined) {
    data[MESSAGE_REPLY_KEY] = {
      messageAbstract: abstractOf(quoted.text),
      messageSender: sender.nick || sender.id,
      messageID: quoted.id,
      messageType: TUIKIT_MESSAGE_TYPE[quoted.content],
      messageTime: Math.floor(quoted.time / 1000),
      ...(quoted.seq === undefined ? {} : { messageSequence: quoted.seq }),
      version: 1,
      messageRootID: quoted.quote?.rootId ?? quoted.id,
    };
  }
  data[MARKER_KEY] = { v: MARKER_VERSION, replyTo: answered.map((m) => m.id) };
  const mention = inGroup && options.mentionSender;
  return {
    cloudCustomData: JSON.stringify(data),
    mentions: mention ? [sender.id] : [],
    textPrefix: mention ? mentionTextFor(options.mentionText, sender) : '',
  };
}

/**
 * The ids of the messages a clawlink reply answered, read from its cloud custom data; `[]`
 * for anything else (no data, not JSON, another app's data, a marker of an unknown version).
 */
export function answeredIds(cloudCustomData: string | undefined): string[] {
  const marker = parseObject(cloudCustomData)?.[MARKER_KEY];
  if (!isObject(marker) || marker.v !== MARKER_VERSION || !Array.isArray(marker.replyTo)) return [];
  return marker.replyTo.filter((id): id is string => typeof id === 'string' && id !== '');
}

/**
 * The quote in a message's cloud custom data (TUIKit's `messageReply`), or undefined when
 * there is none or it is not usable (not JSON, no `messageID`, wrong types).
 */
export function readQuote(cloudCustomData: string | undefined): QuotedMessage | undefined {
  const reply = parseObject(cloudCustomData)?.[MESSAGE_REPLY_KEY];
  if (!isObject(reply)) return undefined;
  const { messageID, messageSender, messageAbstract, messageRootID } = reply;
  if (typeof messageID !== 'string' || messageID === '') return undefined;
  return {
    messageId: messageID,
    sender: typeof messageSender === 'string' ? messageSender : '',
    abstract: typeof messageAbstract === 'string' ? messageAbstract : '',
    ...(typeof messageRootID === 'string' && messageRootID !== '' ? { rootId: messageRootID } : {}),
  };
}

function mentionTextFor(template: string, sender: { id: string; nick: string }): string {
  return template.replaceAll('{nick}', sender.nick || sender.id).replaceAll('{id}', sender.id);
}

function abstractOf(text: string): string {
  const chars = Array.from(text);
  return chars.length <= MAX_ABSTRACT_CHARS
    ? text
    : `${chars.slice(0, MAX_ABSTRACT_CHARS).join('')}…`;
}

function parseObject(json: string | undefined): Record<string, unknown> | undefined {
  if (json === undefined || json === '') return undefined;
  try {
    const value: unknown = JSON.parse(json);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
