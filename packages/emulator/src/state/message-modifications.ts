import { wireToContent } from '../protocol/message-content.js';
import { TIM_CODES, TIM_LIMITS, TimCodeError } from '../protocol/tim-codes.js';
import type { StoredMessage, WireElement } from '../storage/storage.js';
import { messageContentBytes } from './messages.js';
import { requireGroup, requireMember, type StateContext, seconds } from './state-context.js';

/**
 * The element types a modification may carry: the ones tim-js-sdk's `modifyMessage` sends
 * (text, custom, location, face), as Tencent's docs list them.
 */
const MODIFIABLE_TYPES = new Set([
  'TIMTextElem',
  'TIMCustomElem',
  'TIMLocationElem',
  'TIMFaceElem',
]);

/** Thrown when the request's version is stale; carries the message as stored now. */
export class ModifyConflictError extends TimCodeError {
  readonly current: StoredMessage;

  constructor(current: StoredMessage) {
    super(
      TIM_CODES.MODIFY_CONFLICT,
      `the message was modified meanwhile (now version ${current.version ?? 0}); modify the latest version`,
    );
    this.name = 'ModifyConflictError';
    this.current = current;
  }
}

/** What a modification asks for: the version it was made from and what it replaces. */
export interface MessageModification {
  /** The `MsgVersion` the client modified (the stored version, or the request conflicts). */
  version: number;
  /** The new body; the stored one is kept when omitted. */
  msgBody?: WireElement[];
  /** The new cloud custom data; the stored one is kept when omitted. */
  cloudCustomData?: string;
}

/** Where a C2C message is: its sender, recipient and the SDK's seq/random/time triple. */
export interface C2CMessageAddress {
  from: string;
  to: string;
  seq: number;
  random: number;
  /** Seconds since the epoch (the `MsgTime` the send answered). */
  time: number;
}

/** Message modification with TIM's rules: only the sender, a version check, the 12 KB limit. */

/** Creates the message-modification part of the state. */
export function createMessageModificationState(ctx: StateContext) {
  const { storage } = ctx;

  function revise(by: string, message: StoredMessage, change: MessageModification) {
    if (message.from !== by) {
      throw new TimCodeError(
        TIM_CODES.PERMISSION_DENIED,
        `only the sender ("${message.from}") may modify this message, not "${by}"`,
      );
    }
    const version = message.version ?? 0;
    if (change.version !== version) throw new ModifyConflictError(message);
    const msgBody = change.msgBody ?? message.msgBody;
    for (const element of msgBody) {
      if (!MODIFIABLE_TYPES.has(element.MsgType)) {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          `${element.MsgType} elements cannot be modified; send text, custom, location or face elements`,
        );
      }
    }
    const cloudCustomData = change.cloudCustomData ?? message.cloudCustomData;
    const size = messageContentBytes(msgBody, cloudCustomData);
    if (size > TIM_LIMITS.messageBytes) {
      throw new TimCodeError(
        TIM_CODES.BODY_SIZE_LIMIT,
        `the modified message is ${size} bytes; TIM allows at most ${TIM_LIMITS.messageBytes} (12 KB): continue in a new message`,
      );
    }
    const revised = storage.reviseMessage(message.ord, {
      msgBody,
      content: wireToContent(msgBody, message.groupAtInfo),
      cloudCustomData,
      version: version + 1,
    });
    if (!revised) throw new TimCodeError(TIM_CODES.MESSAGE_NOT_FOUND, 'the message is gone');
    return revised;
  }

  return {
    /**
     * Modifies group message `seq` of `groupId` as member `by`: 10010 unknown group, 10007 not
     * a member or not the sender, 20026 no such message, 20027 stale version
     * ({@link ModifyConflictError}), 10004 an element type that cannot be modified, 80002 over
     * 12 KB. Returns the stored message with its version increased by one.
     */
    modifyGroupMessage(
      by: string,
      groupId: string,
      seq: number,
      change: MessageModification,
    ): StoredMessage {
      const group = requireGroup(ctx, groupId);
      requireMember(ctx, group, by);
      const [message] = storage.groupMessages(groupId, 1, seq);
      if (!message || message.seq !== seq) {
        throw new TimCodeError(
          TIM_CODES.MESSAGE_NOT_FOUND,
          `group "${groupId}" has no message with sequence ${seq}`,
        );
      }
      return revise(by, message, change);
    },

    /**
     * Modifies the C2C message at `address` as `by` (who must be its sender): 20026 no such
     * message, then the rules of {@link modifyGroupMessage}.
     */
    modifyC2CMessage(
      by: string,
      address: C2CMessageAddress,
      change: MessageModification,
    ): StoredMessage {
      const { from, to, seq, random, time } = address;
      const message = storage.findC2CMessage(from, to, `${seq}_${random}_${time}`);
      if (!message || message.from !== from || seconds(message.time) !== time) {
        throw new TimCodeError(
          TIM_CODES.MESSAGE_NOT_FOUND,
          `no C2C message from "${from}" to "${to}" with seq ${seq}, random ${random}, time ${time}`,
        );
      }
      return revise(by, message, change);
    },
  };
}
