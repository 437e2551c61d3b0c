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

/**
 * Which message of a reply a marker is on, when the reply is not one finished message: part
 * `part` (from 1) of `parts`; `parts` is left out while the count is not known yet (a streamed
 * reply's finished messages before its last). `partial` marks a streamed message still growing.
 */
export interface ReplyPart {
  readonly part: number;
  readonly parts?: number;
  readonly partial?: boolean;
}

/** What to send with a reply's text. */
export interface ReplyFormat {
  /** The cloud custom data of a reply in one finished message (always has the clawlink marker). */
  readonly cloudCustomData: string;
  /** The cloud custom data of one part of a reply in several messages, or of a growing one. */
  cloudCustomDataFor(part: ReplyPart): string;
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
 *   with {@link answeredInFull} to see a message was already answered and not answer it twice.
 *   A reply in several messages marks each `"part": k, "parts": n` (a streamed one writes
 *   `parts` on its last message only, once it is known), and a streamed message still growing
 *   is marked `"partial": true` until its final version: only a complete set of finished parts
 *   counts as an answer, so a reply cut by a crash is answered again.
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
  const replyTo = answered.map((m) => m.id);
  const withMarker = (part: Partial<ReplyPart>): string =>
    JSON.stringify({ ...data, [MARKER_KEY]: { v: MARKER_VERSION, replyTo, ...part } });
  const mention = inGroup && options.mentionSender;
  return {
    cloudCustomData: withMarker({}),
    cloudCustomDataFor: (part) =>
      withMarker({
        part: part.part,
        ...(part.parts === undefined ? {} : { parts: part.parts }),
        ...(part.partial ? { partial: true } : {}),
      }),
    mentions: mention ? [sender.id] : [],
    textPrefix: mention ? mentionTextFor(options.mentionText, sender) : '',
  };
}

/** A clawlink marker as read back from cloud custom data. */
interface Marker {
  readonly replyTo: string[];
  /** Undefined for a reply in one finished message. */
  readonly part?: number;
  readonly parts?: number;
  readonly partial: boolean;
}

function readMarker(cloudCustomData: string | undefined): Marker | undefined {
  return markerOf(parseObject(cloudCustomData));
}

/** The clawlink marker in cloud custom data already parsed. */
function markerOf(data: Record<string, unknown> | undefined): Marker | undefined {
  const marker = data?.[MARKER_KEY];
  if (!isObject(marker) || marker.v !== MARKER_VERSION || !Array.isArray(marker.replyTo)) {
    return undefined;
  }
  const count = (value: unknown) =>
    typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : undefined;
  const part = count(marker.part);
  const parts = count(marker.parts);
  return {
    replyTo: marker.replyTo.filter((id): id is string => typeof id === 'string' && id !== ''),
    ...(part === undefined ? {} : { part }),
    ...(parts === undefined ? {} : { parts }),
    partial: marker.partial === true,
  };
}

/**
 * The ids of the messages a clawlink reply answered, read from its cloud custom data (a part
 * of a longer reply included; {@link answeredInFull} tells whether all parts were sent); `[]`
 * for a streamed message still growing and anything else (no data, not JSON, another app's
 * data, a marker of an unknown version).
 */
export function answeredIds(cloudCustomData: string | undefined): string[] {
  return answersOf(markerOf(parseObject(cloudCustomData)));
}

function answersOf(marker: Marker | undefined): string[] {
  return marker === undefined || marker.partial ? [] : marker.replyTo;
}

/**
 * The ids of the messages answered in full by the replies whose cloud custom data is given (a
 * conversation's recent messages from this agent): by a reply in one finished message, or by a
 * complete set of parts 1 to n of the same answered messages, none still growing. A reply cut
 * by a crash (a streamed message never finished, a chunked reply missing parts) answers nothing.
 */
export function answeredInFull(cloudCustomData: readonly (string | undefined)[]): Set<string> {
  const answered = new Set<string>();
  /** Per set of answered ids: the finished parts seen and the part count, when known. */
  const sets = new Map<string, { replyTo: string[]; parts: Set<number>; count?: number }>();
  for (const data of cloudCustomData) {
    const marker = readMarker(data);
    if (marker === undefined || marker.partial || marker.replyTo.length === 0) continue;
    if (marker.part === undefined) {
      for (const id of marker.replyTo) answered.add(id);
      continue;
    }
    const key = JSON.stringify(marker.replyTo);
    const set = sets.get(key) ?? { replyTo: marker.replyTo, parts: new Set<number>() };
    set.parts.add(marker.part);
    if (marker.parts !== undefined) set.count = marker.parts;
    sets.set(key, set);
  }
  for (const { replyTo, parts, count } of sets.values()) {
    if (count === undefined) continue;
    if (Array.from({ length: count }, (_, i) => i + 1).every((part) => parts.has(part))) {
      for (const id of replyTo) answered.add(id);
    }
  }
  return answered;
}

/**
 * The quote in a message's cloud custom data (TUIKit's `messageReply`), or undefined when
 * there is none or it is not usable (not JSON, no `messageID`, wrong types).
 */
export function readQuote(cloudCustomData: string | undefined): QuotedMessage | undefined {
  return quoteOf(parseObject(cloudCustomData));
}

/**
 * {@link readQuote} and {@link answeredIds} of one message's cloud custom data, parsed once
 * (what the pipeline reads of every inbound message).
 */
export function readInboundData(cloudCustomData: string | undefined): {
  quote?: QuotedMessage;
  answers: string[];
} {
  if (cloudCustomData === undefined || cloudCustomData === '') return { answers: [] };
  const data = parseObject(cloudCustomData);
  const quote = quoteOf(data);
  return { ...(quote === undefined ? {} : { quote }), answers: answersOf(markerOf(data)) };
}

function quoteOf(data: Record<string, unknown> | undefined): QuotedMessage | undefined {
  const reply = data?.[MESSAGE_REPLY_KEY];
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
