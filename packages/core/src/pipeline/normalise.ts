import type { ConversationRef } from '../conversation/conversation-ref.js';
import { senderTinyIdOf, type TimMessage } from '../tim/tim-message.js';
import { type QuotedMessage, readInboundData } from './reply-format.js';
import { isTypingStatus } from './typing-indicator.js';

/** Why {@link normalise} dropped a message (one debug log line and a metric each). */
export type DropReason =
  /** Sent by this agent itself (another session of it, or its own reply coming back). */
  | 'own'
  /** A group tip or system notice (member joined, profile changed, ...), not something said. */
  | 'system'
  /** A typing status (TUIKit's, or another agent's): a hint about the chat, not something said. */
  | 'typing'
  /** A kind clawlink does not read (image, file, sound, ...), or custom data with no text. */
  | 'unsupported'
  /** A custom message whose data looks like JSON but does not parse, with no description. */
  | 'malformed'
  /** No text once trimmed. */
  | 'empty';

/** A message the pipeline goes on with. */
export interface NormalisedMessage {
  /** `agent_request` when the caller's predicate recognised a clawlink request envelope. */
  readonly kind: 'message' | 'agent_request';
  /** TIM's message id. */
  readonly id: string;
  readonly conversation: ConversationRef;
  /** The sender's TIM UserID. */
  readonly senderId: string;
  /** The sender's name card or nickname; the UserID when TIM sent neither. */
  readonly senderNick: string;
  /** Server time, in milliseconds since the epoch. */
  readonly time: number;
  /** TIM's message sequence, when sent. */
  readonly seq?: number;
  /** What TIM carried: a text message or a custom one. */
  readonly content: 'text' | 'custom';
  /** The readable text: a text message's text; a custom message's text, data or description. */
  readonly text: string;
  /** UserIDs @-mentioned, each once (@all not included). */
  readonly mentions: readonly string[];
  /** Whether the message @-mentions everyone (@all). */
  readonly mentionsAll: boolean;
  /** The message this one quotes (TUIKit `messageReply`), if any. */
  readonly quote?: QuotedMessage;
  /** Whether {@link quote} is a quote of one of this agent's messages. */
  readonly quotesSelf: boolean;
  /** When the message is itself a clawlink reply: the ids it answered (its clawlink marker). */
  readonly answers: readonly string[];
  /** The message as received, for stages that need more (e.g. an agent request's envelope). */
  readonly source: TimMessage;
}

/** What {@link normalise} returns: the message to go on with, or why it was dropped. */
export type NormaliseResult =
  | { readonly message: NormalisedMessage }
  | { readonly drop: DropReason };

/** What {@link normalise} knows about the receiving agent. */
export interface NormaliseContext {
  /** This agent's TIM UserID. */
  readonly selfUserId: string;
  /**
   * Names this agent may appear under in a quote's `messageSender` (its nickname, name cards);
   * TUIKit writes the quoted sender's nick, or the UserID when there is none. The UserID
   * always counts.
   */
  readonly selfNames?: readonly string[];
  /** Whether a message id is one of this agent's own messages (e.g. ids the runtime sent). */
  readonly isOwnMessageId?: (messageId: string) => boolean;
  /**
   * This agent's TinyId, once known (from the id of a message it sent): a message's id begins
   * with its sender's TinyId, so a quote of another sender's message is not this agent's,
   * whatever nick it names, and one of the agent's is, under any nick it had.
   */
  readonly selfTinyId?: string;
  /** Recognises a clawlink agent-request envelope; such messages become `agent_request`. */
  readonly isAgentRequest?: (message: TimMessage) => boolean;
}

/** The sender TIM names on system messages. */
const TIM_SYSTEM_SENDER = '@TIM#SYSTEM';

/**
 * Turns a received TIM message into the pipeline's {@link NormalisedMessage}, or says why it
 * is dropped. Never throws: foreign or malformed cloud custom data means no quote and no
 * marker, not an error.
 */
export function normalise(message: TimMessage, context: NormaliseContext): NormaliseResult {
  if (message.from === context.selfUserId) return { drop: 'own' };
  if (message.kind === 'system' || message.from === TIM_SYSTEM_SENDER) return { drop: 'system' };
  const agentRequest = context.isAgentRequest?.(message) === true;
  let text: string;
  if (agentRequest) {
    text = message.custom?.description.trim() ?? message.text?.trim() ?? '';
  } else if (message.kind === 'text') {
    text = message.text ?? '';
  } else if (message.kind === 'custom' && message.custom !== undefined) {
    if (isTypingStatus(message)) return { drop: 'typing' };
    const read = customText(message.custom);
    if (typeof read !== 'string') return { drop: read.drop };
    text = read;
  } else {
    return { drop: 'unsupported' };
  }
  if (!agentRequest && text.trim() === '') return { drop: 'empty' };
  const { quote, answers } = readInboundData(message.cloudCustomData);
  // Built by assignment, not spreads: this runs for every message received.
  const normalised: Mutable<NormalisedMessage> = {
    kind: agentRequest ? 'agent_request' : 'message',
    id: message.id,
    conversation: message.conversation,
    senderId: message.from,
    senderNick: message.nick || message.from,
    time: message.time,
    content: message.kind === 'custom' ? 'custom' : 'text',
    text,
    mentions: message.atUserList.length < 2 ? message.atUserList : [...new Set(message.atUserList)],
    mentionsAll: message.atAll,
    quotesSelf: quote !== undefined && isSelfQuote(quote, context),
    answers,
    source: message,
  };
  if (message.seq !== undefined) normalised.seq = message.seq;
  if (quote !== undefined) normalised.quote = quote;
  return { message: normalised };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function isSelfQuote(quote: QuotedMessage, context: NormaliseContext): boolean {
  if (context.isOwnMessageId?.(quote.messageId) === true) return true;
  const quotedTinyId = senderTinyIdOf(quote.messageId);
  if (quotedTinyId !== undefined && context.selfTinyId !== undefined) {
    return quotedTinyId === context.selfTinyId;
  }
  if (quote.sender === '') return false;
  return quote.sender === context.selfUserId || (context.selfNames ?? []).includes(quote.sender);
}

/**
 * A custom message's readable text: JSON data's `text` (and `link`, as TUIKit's link
 * messages carry), plain-text data, or else the description.
 */
function customText(custom: { data: string; description: string }): string | { drop: DropReason } {
  const description = custom.description.trim();
  const data = custom.data.trim();
  if (data === '') return description === '' ? { drop: 'empty' } : description;
  if (!data.startsWith('{') && !data.startsWith('[') && !data.startsWith('"')) return data;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return description === '' ? { drop: 'malformed' } : description;
  }
  const readable = readableJson(parsed);
  if (readable !== '') return readable;
  return description === '' ? { drop: 'unsupported' } : description;
}

function readableJson(value: unknown): string {
  if (typeof value === 'string') return value.trim();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return '';
  const { text, link } = value as Record<string, unknown>;
  if (typeof text !== 'string' || text.trim() === '') return '';
  return typeof link === 'string' && link !== '' ? `${text.trim()} ${link}` : text.trim();
}
