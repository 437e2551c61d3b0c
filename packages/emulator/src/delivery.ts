import type { EmulatorState } from './emulator-state.js';
import {
  c2cMessageWire,
  c2cPushBody,
  groupMessageWire,
  groupPushBody,
  kickPushBody,
} from './protocol/wire.js';
import type { Connection, Session, SessionRegistry } from './sessions.js';
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

  return {
    /** Pushes a group message to every online member, except the sending connection. */
    groupMessage(message: StoredMessage, except?: Connection): void {
      if (message.conversation.type !== 'group') return;
      const group = state.getGroup(message.conversation.groupId);
      if (!group) return;
      const body = groupPushBody([groupMessageWire(message, group, nickOf(message.from))]);
      for (const member of state.listMembers(group.groupId)) {
        sessions.push(member.userId, MSG_PUSH, body, except);
      }
    },

    /** Pushes a C2C message to the recipient and to the sender's other sessions. */
    c2cMessage(message: StoredMessage, except?: Connection): void {
      if (message.conversation.type !== 'c2c') return;
      const body = c2cPushBody([c2cMessageWire(message)]);
      sessions.push(message.conversation.to, MSG_PUSH, body, except);
      if (message.conversation.from !== message.conversation.to) {
        sessions.push(message.conversation.from, MSG_PUSH, body, except);
      }
    },

    /** Signs a session out with a `stat_forceoffline` push of `kickType`, and ends it. */
    kick(session: Session, kickType: number): void {
      sessions.pushTo(session, KICK_PUSH, kickPushBody(kickType));
      sessions.end(session);
    },
  };
}
