import { AT_ALL_MARKER } from '@clawlink/tim-facts';
import type { ConversationRef } from '../conversation/conversation-ref.js';
import type { SdkMessage } from './sdk-types.js';

/** What a message carries: plain text, custom data, a group tip/system notice, or anything else. */
export type TimMessageKind = 'text' | 'custom' | 'system' | 'other';

/** A message received or fetched from TIM, in clawlink's shape. */
export interface TimMessage {
  /** TIM's message id (stable for the message across devices and history fetches). */
  id: string;
  /** The conversation it belongs to: its group, or (C2C) the other user. */
  conversation: ConversationRef;
  /** Sender's user id (for system messages, the user TIM names, often empty or '@TIM#SYSTEM'). */
  from: string;
  /** Sender's group name card or nickname, when TIM sent one. */
  nick?: string;
  /** Server time, in milliseconds since the epoch (TIM has second precision). */
  time: number;
  /** Group message sequence (consecutive per group); for C2C, TIM's per-conversation sequence. */
  seq?: number;
  random?: number;
  kind: TimMessageKind;
  /** The text of a `text` message. */
  text?: string;
  /** The content of a `custom` message. */
  custom?: { data: string; description: string; extension: string };
  /** User ids mentioned (@) in a group text message, without the @all marker. */
  atUserList: string[];
  /** Whether the message mentions everyone (@all). */
  atAll: boolean;
  /** The message's cloud custom data (clawlink puts reply correlation there). */
  cloudCustomData?: string;
}

/** `<TinyId>-<client time>-<random>`: how the SDKs compose a message's id. */
const MESSAGE_ID = /^(\d+)-\d+-\d+$/;

/**
 * The TinyId (TIM's numeric user handle) of the sender of the message with id `messageId`:
 * the SDKs compose a message's id from its sender's TinyId, its client time and a random
 * number. `undefined` for an id of another shape.
 */
export function senderTinyIdOf(messageId: string): string | undefined {
  return MESSAGE_ID.exec(messageId)?.[1];
}

/**
 * Converts an SDK message. Group tips and group system notices become `kind: 'system'`
 * (system notices are reported on the group they concern).
 *
 * @internal
 */
export function toTimMessage(message: SdkMessage): TimMessage {
  const payload = message.payload ?? {};
  const kind = kindOf(message.type);
  const isGroup = message.conversationType !== 'C2C';
  const conversationId = isGroup
    ? groupIdOf(message)
    : message.conversationID.startsWith('C2C')
      ? message.conversationID.slice(3)
      : message.flow === 'out'
        ? message.to
        : message.from;
  const mentions = Array.isArray(message.atUserList) ? message.atUserList : [];
  const result: TimMessage = {
    id: message.ID,
    conversation: { type: isGroup ? 'group' : 'c2c', id: conversationId },
    from: message.from ?? '',
    time: Math.round(Number(message.time) * 1000),
    kind,
    atUserList: mentions.filter((id) => id !== AT_ALL_MARKER),
    atAll: mentions.includes(AT_ALL_MARKER),
  };
  const nick = message.nameCard || message.nick;
  if (nick) result.nick = nick;
  if (typeof message.sequence === 'number') result.seq = message.sequence;
  if (typeof message.random === 'number') result.random = message.random;
  if (message.cloudCustomData) result.cloudCustomData = message.cloudCustomData;
  if (kind === 'text') result.text = stringField(payload, 'text');
  if (kind === 'custom') {
    result.custom = {
      data: stringField(payload, 'data'),
      description: stringField(payload, 'description'),
      extension: stringField(payload, 'extension'),
    };
  }
  return result;
}

function kindOf(type: string): TimMessageKind {
  switch (type) {
    case 'TIMTextElem':
      return 'text';
    case 'TIMCustomElem':
      return 'custom';
    case 'TIMGroupTipElem':
    case 'TIMGroupSystemNoticeElem':
      return 'system';
    default:
      return 'other';
  }
}

function groupIdOf(message: SdkMessage): string {
  if (message.conversationID.startsWith('GROUP')) return message.conversationID.slice(5);
  const profile = message.payload?.groupProfile as { groupID?: unknown } | undefined;
  if (typeof profile?.groupID === 'string') return profile.groupID;
  const groupId = message.payload?.groupID;
  return typeof groupId === 'string' ? groupId : message.to;
}

function stringField(payload: Record<string, unknown>, key: string): string {
  const value = payload[key];
  return typeof value === 'string' ? value : '';
}
