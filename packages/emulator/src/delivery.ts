import type { EmulatorState } from './emulator-state.js';
import {
  c2cMessageWire,
  c2cPushBody,
  c2cReadReceiptPushBody,
  groupMessageWire,
  groupPushBody,
  kickPushBody,
  profilePushBody,
} from './protocol/wire.js';
import {
  type Connection,
  MAX_MISSED,
  type PreparedPush,
  preparePush,
  type Session,
  type SessionRegistry,
} from './sessions.js';
import type { StoredMessage } from './storage/storage.js';

/** The servcmd of message pushes. */
export const MSG_PUSH = 'im_open_push.msg_push';
/** The servcmd of kick pushes. */
export const KICK_PUSH = 'im_open_status.stat_forceoffline';

/** Pushes messages and kicks to online sessions. */
export type Delivery = ReturnType<typeof createDelivery>;

/** Creates the delivery over the state (for members, nicks) and the sessions (for sockets). */
export function createDelivery(state: EmulatorState, sessions: SessionRegistry) {
  const nickOf = (userId: string): string => state.getUser(userId)?.nick ?? '';

  /**
   * Pushes a message to every session of `userId` but the sending connection. A session
   * without an open socket keeps a C2C message (`missed`) for `openim.getmsg`, which the SDK
   * calls on reconnect; a group message it misses is only in the history, as with TIM.
   * The body is serialised once per message (`push`), not once per recipient.
   */
  function pushMessage(
    userId: string,
    push: PreparedPush,
    except: Connection | undefined,
    missed?: Record<string, unknown>,
  ): void {
    for (const session of sessions.sessionsOf(userId)) {
      if (except && session.connection === except) continue;
      if (sessions.pushPrepared(session, push) || !missed) continue;
      session.missedC2C.push(missed);
      if (session.missedC2C.length > MAX_MISSED) session.missedC2C.shift();
    }
  }

  return {
    /** Pushes a group message to every online member, except the sending connection. */
    groupMessage(message: StoredMessage, except?: Connection): void {
      if (message.conversation.type !== 'group') return;
      const group = state.getGroup(message.conversation.groupId);
      if (!group) return;
      const push = preparePush(
        MSG_PUSH,
        groupPushBody([groupMessageWire(message, group, nickOf(message.from))]),
      );
      for (const member of state.listMembers(group.groupId)) {
        pushMessage(member.userId, push, except);
      }
    },

    /**
     * Pushes a C2C message to the recipient and to the sender's other sessions; an online one
     * (`onlineOnly`) only to those whose socket is open: a session that is away never gets it.
     */
    c2cMessage(message: StoredMessage, except?: Connection, { onlineOnly = false } = {}): void {
      if (message.conversation.type !== 'c2c') return;
      // The SDK reads a lifetime of 0 as an online message: emitted, kept out of its list.
      const item = onlineOnly
        ? { ...c2cMessageWire(message), MsgLifeTime: 0 }
        : c2cMessageWire(message);
      const push = preparePush(MSG_PUSH, c2cPushBody([item]));
      const missed = onlineOnly ? undefined : item;
      pushMessage(message.conversation.to, push, except, missed);
      if (message.conversation.from !== message.conversation.to) {
        pushMessage(message.conversation.from, push, except, missed);
      }
    },

    /** Tells `peer`'s sessions that `reader` read their chat up to `timeSeconds`. */
    c2cRead(reader: string, peer: string, timeSeconds: number): void {
      pushMessage(
        peer,
        preparePush(MSG_PUSH, c2cReadReceiptPushBody(reader, timeSeconds)),
        undefined,
      );
    },

    /** Tells every session of `userId` (but `except`'s connection) that its nick changed. */
    nickChanged(userId: string, nick: string, except?: Connection): void {
      pushMessage(userId, preparePush(MSG_PUSH, profilePushBody(userId, nick)), except);
    },

    /** Signs a session out with a `stat_forceoffline` push of `kickType`, and ends it. */
    kick(session: Session, kickType: number): void {
      sessions.pushTo(session, KICK_PUSH, kickPushBody(kickType));
      sessions.end(session);
    },
  };
}
