import { randomBytes } from 'node:crypto';
import { wireToContent } from '../protocol/message-content.js';
import { TIM_CODES, TIM_LIMITS, TimCodeError } from '../protocol/tim-codes.js';
import type { StoredMessage, WireAtInfo, WireElement } from '../storage/storage.js';
import type { EmulatorMessage } from '../types.js';
import {
  bytes,
  requireGroup,
  requireMember,
  requireUser,
  type StateContext,
  seconds,
} from './state-context.js';

/** A message about to be stored: its wire body and metadata. */
export interface OutgoingMessage {
  from: string;
  msgBody: WireElement[];
  groupAtInfo?: WireAtInfo[];
  cloudCustomData?: string;
  random?: number;
  clientSeq?: number;
  priority?: string;
  /** C2C only: the sender's MsgSeq. */
  seq?: number;
  /** The sender's `MsgClientTime` in seconds; the store time when absent (admin posts). */
  clientTime?: number;
  /**
   * C2C only: an online message (the SDK's `onlineUserOnly`, `MsgLifeTime: 0` on the wire):
   * pushed to the sessions online now and never stored (no history, nothing for a session that
   * is away to sync later).
   */
  onlineOnly?: boolean;
}

const randomUint32 = (): number => randomBytes(4).readUInt32BE(0);

/**
 * Deepest nesting of objects and arrays accepted inside one element's `MsgContent` (a merged
 * message of merged messages is the deepest TIM element: well under this).
 */
export const MAX_CONTENT_DEPTH = 32;

/**
 * The size of a message body in bytes, as TIM counts it against the 12 KB limit: every value in
 * each element's `MsgContent`, at any depth. Strings count their UTF-8 bytes (so 12 KB of text
 * is 12 KB), other values their JSON text, and nested objects their keys too. Throws 10004 for
 * content nested deeper than {@link MAX_CONTENT_DEPTH}. Iterative: no input can exhaust the stack.
 */
export function messageContentBytes(msgBody: WireElement[], cloudCustomData = ''): number {
  let total = bytes(cloudCustomData);
  const pending: { value: unknown; depth: number }[] = [];
  for (const element of msgBody) {
    for (const value of Object.values(element.MsgContent ?? {})) pending.push({ value, depth: 1 });
  }
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value, depth } = item;
    if (typeof value === 'string') total += bytes(value);
    else if (value === null || typeof value !== 'object') total += bytes(String(value));
    else {
      if (depth > MAX_CONTENT_DEPTH) {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          `the message content is nested more than ${MAX_CONTENT_DEPTH} levels deep; send flatter content`,
        );
      }
      total += 2;
      const entries = Array.isArray(value)
        ? value.map((v) => ['', v] as const)
        : Object.entries(value);
      for (const [key, child] of entries) {
        total += bytes(key);
        pending.push({ value: child, depth: depth + 1 });
      }
    }
  }
  return total;
}

/** The public view of a stored message (without the wire details). */
export function toPublicMessage(message: StoredMessage): EmulatorMessage {
  const { id, conversation, from, time, seq, random, content, cloudCustomData } = message;
  return { id, conversation, from, time, seq, random, content, cloudCustomData };
}

/** Group and C2C messages: TIM's size and rate limits, sequences, history. */

/** Creates the messages part of the state. */
export function createMessageState(ctx: StateContext) {
  const { storage, now } = ctx;
  /** Send times (ms) per group, for the 40 messages/s limit. */
  const groupSendTimes = new Map<string, number[]>();

  function checkMessageSize(msgBody: WireElement[], cloudCustomData: string): void {
    const size = messageContentBytes(msgBody, cloudCustomData);
    if (size > TIM_LIMITS.messageBytes) {
      throw new TimCodeError(
        TIM_CODES.BODY_SIZE_LIMIT,
        `the message is ${size} bytes; TIM allows at most ${TIM_LIMITS.messageBytes} (12 KB): send less or split it`,
      );
    }
  }

  function checkGroupRate(groupId: string): void {
    const at = now();
    const recent = (groupSendTimes.get(groupId) ?? []).filter((t) => at - t < 1000);
    if (recent.length >= TIM_LIMITS.groupMessagesPerSecond) {
      groupSendTimes.set(groupId, recent);
      throw new TimCodeError(
        TIM_CODES.GROUP_SEND_FREQUENCY_LIMIT,
        `group "${groupId}" takes at most ${TIM_LIMITS.groupMessagesPerSecond} messages per second; wait and retry`,
      );
    }
    recent.push(at);
    groupSendTimes.set(groupId, recent);
  }

  return {
    /**
     * Stores a group message from `message.from`. With `asClient`, TIM's client rules apply:
     * membership (10007), 40 messages/s per group (10023). The 12 KB limit (80002) always does.
     */
    sendGroupMessage(groupId: string, message: OutgoingMessage, asClient: boolean): StoredMessage {
      const group = requireGroup(ctx, groupId);
      const cloudCustomData = message.cloudCustomData ?? '';
      const sender = requireUser(ctx, message.from);
      if (asClient) requireMember(ctx, group, message.from);
      checkMessageSize(message.msgBody, cloudCustomData);
      if (asClient) checkGroupRate(groupId);
      const at = now();
      const seq = group.nextSeq;
      const random = message.random ?? randomUint32();
      const groupAtInfo = message.groupAtInfo ?? [];
      // The row and the sequence it takes are written together, or neither is.
      return storage.transaction(() => {
        const stored = storage.appendMessage({
          id: `group:${groupId}:${seq}`,
          conversation: { type: 'group', groupId },
          from: message.from,
          time: at,
          seq,
          random,
          content: wireToContent(message.msgBody, groupAtInfo),
          cloudCustomData,
          clientSeq: message.clientSeq ?? 0,
          priority: message.priority ?? 'Normal',
          msgBody: message.msgBody,
          groupAtInfo,
          msgKey: '',
          clientTime: message.clientTime || seconds(at),
          senderTinyId: sender.tinyId,
        });
        storage.saveGroup({ ...group, nextSeq: seq + 1, lastMsgTime: seconds(at) });
        return stored;
      });
    },

    /**
     * Stores a C2C message (an online one is only returned, for the push); the recipient must
     * exist (20003); 12 KB limit (80002).
     */
    sendC2CMessage(to: string, message: OutgoingMessage): StoredMessage {
      const sender = requireUser(ctx, message.from, TIM_CODES.C2C_INVALID_USER);
      requireUser(ctx, to, TIM_CODES.C2C_INVALID_USER);
      const cloudCustomData = message.cloudCustomData ?? '';
      checkMessageSize(message.msgBody, cloudCustomData);
      const at = now();
      const seq = message.seq ?? storage.nextCounter('c2cSeq');
      const random = message.random ?? randomUint32();
      const msgKey = `${seq}_${random}_${seconds(at)}`;
      const record = {
        id: `c2c:${message.from}:${to}:${seq}:${random}`,
        conversation: { type: 'c2c', from: message.from, to },
        from: message.from,
        time: at,
        seq,
        random,
        content: wireToContent(message.msgBody, []),
        cloudCustomData,
        clientSeq: 0,
        priority: message.priority ?? 'Normal',
        msgBody: message.msgBody,
        groupAtInfo: [],
        msgKey,
        clientTime: message.clientTime || seconds(at),
        senderTinyId: sender.tinyId,
      } satisfies Omit<StoredMessage, 'ord'>;
      return message.onlineOnly ? { ...record, ord: 0, version: 0 } : storage.appendMessage(record);
    },

    /** A group's messages with seq <= maxSeq, newest first. */
    groupMessages(groupId: string, limit: number, maxSeq?: number): StoredMessage[] {
      requireGroup(ctx, groupId);
      return storage.groupMessages(groupId, limit, maxSeq);
    },

    c2cMessages: (a: string, b: string, limit: number, beforeOrd?: number) =>
      storage.c2cMessages(a, b, limit, beforeOrd),
    findC2CMessage: (a: string, b: string, msgKey: string) => storage.findC2CMessage(a, b, msgKey),
  };
}
