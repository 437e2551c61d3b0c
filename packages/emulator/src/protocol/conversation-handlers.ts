import type { Conversation } from '../state/conversations.js';
import { okBody } from './frame.js';
import {
  type HandlerTable,
  int,
  isRecord,
  list,
  type ProtocolDeps,
  type ProtocolHandler,
  str,
} from './handler.js';

/** Conversations per `recentcontact.page_get` page (`CompleteFlag` 0 asks for the next). */
export const CONVERSATION_PAGE = 100;

const seconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * One `SessionItem` of `recentcontact.page_get`, with the keys tim-js-sdk 2.27.6 maps:
 * `Type` 1 (C2C, `To_Account`) or 2 (group, `ToAccount`), the last message's `MsgTime`,
 * `MsgSeq` and `LastMsg.MsgBody`, and `UnreadMsgCount` (read for groups; the SDK takes C2C
 * unread counts from `openim.getmsg`).
 */
export function sessionItemWire(conversation: Conversation): Record<string, unknown> {
  const last = conversation.lastMessage;
  const common = {
    MsgTime: seconds(last.time),
    MsgSeq: last.seq,
    MsgRandom: last.random,
    LastMsg: { MsgBody: last.msgBody, CloudCustomData: last.cloudCustomData },
    UnreadMsgCount: conversation.unreadCount,
    LastMsgFlags: 0,
    TopFlags: 0,
  };
  if (conversation.type === 'c2c') {
    return {
      Type: 1,
      To_Account: conversation.peer,
      LastC2CMsgFromAccount: last.from,
      C2cPeerReadTime: 0,
      ...common,
    };
  }
  return {
    Type: 2,
    ToAccount: conversation.group.groupId,
    GroupNick: conversation.group.name,
    GroupImage: conversation.group.faceUrl,
    MsgGroupFromAccount: last.from,
    ...common,
  };
}

/**
 * TIM's conversation list and read marks: `recentcontact.page_get` (one entry per C2C peer and
 * group with messages, newest first, {@link CONVERSATION_PAGE} per page from `StartIndex`),
 * `openim.msgreaded` (C2C read up to `LastedMsgTime`), `group_open_http_svc.msg_read_report`
 * (group read up to `MsgReadedSeq`), and `openim.getmsg` answered by boot's handler with the
 * C2C unread counts added (`C2CPairUnreadCount: [{From_Account, UnreadNum}]`): tim-js-sdk
 * 2.27.6 takes C2C unread counts from there, not from `page_get`. `boot` is the table whose
 * `openim.getmsg` (the missed messages) this one wraps.
 */
export function createConversationHandlers(deps: ProtocolDeps, boot: HandlerTable): HandlerTable {
  // Like boot's, these answer without a session too (empty, or ignoring the report): the SDK
  // may send them around logout and destroy, where an error is only an internal rejection.
  const { state } = deps;
  const sync: ProtocolHandler | undefined = boot['openim.getmsg'];

  return {
    'recentcontact.page_get': {
      auth: false,
      handle: ({ body, connection }) => {
        const userId = connection.session?.userId;
        const all = userId ? state.conversationsOf(userId) : [];
        const start = int(body, 'StartIndex', 0);
        const page = all.slice(start, start + CONVERSATION_PAGE);
        const next = start + page.length;
        return okBody({
          CompleteFlag: next >= all.length ? 1 : 0,
          SessionItem: page.map(sessionItemWire),
          TimeStamp: int(body, 'TimeStamp', 0),
          StartIndex: next,
          TopTimeStamp: int(body, 'TopTimeStamp', 0),
          TopStartIndex: int(body, 'TopStartIndex', 0),
        });
      },
    },

    'openim.getmsg': {
      auth: false,
      handle: (ctx) => {
        const session = ctx.connection.session;
        const answer =
          sync && !sync.auth
            ? sync.handle(ctx)
            : sync && session
              ? sync.handle({ ...ctx, session })
              : okBody();
        const unread = session ? state.c2cUnreadCounts(session.userId) : [];
        return {
          ...answer,
          C2CPairUnreadCount: unread.map((u) => ({
            From_Account: u.peer,
            UnreadNum: u.unreadCount,
          })),
        };
      },
    },

    'openim.msgreaded': {
      auth: false,
      handle: ({ body, connection }) => {
        const userId = connection.session?.userId;
        const readed = isRecord(body.C2CMsgReaded) ? body.C2CMsgReaded : {};
        for (const item of list(readed, 'C2CMsgReadedItem').filter(isRecord)) {
          if (!userId) continue;
          const peer = str(item, 'To_Account');
          const time = int(item, 'LastedMsgTime', 0);
          state.markC2CRead(userId, peer, time);
          // TIM's read receipt: the peer's SDK marks its messages up to then read by this user.
          deps.delivery.c2cRead(userId, peer, time);
        }
        return okBody();
      },
    },

    // Until when each peer read this user's messages (the SDK marks its sent ones isPeerRead).
    'openim.get_peer_read_time': {
      auth: false,
      handle: ({ body, connection }) => {
        const userId = connection.session?.userId;
        const peers = list(body, 'To_Account').filter((p): p is string => typeof p === 'string');
        return okBody({
          ReadTime: peers.map((peer) => (userId ? state.c2cReadTime(peer, userId) : 0)),
        });
      },
    },

    'group_open_http_svc.msg_read_report': {
      auth: false,
      handle: ({ body, connection }) => {
        const userId = connection.session?.userId;
        if (userId) state.markGroupRead(userId, str(body, 'GroupId'), int(body, 'MsgReadedSeq', 0));
        return okBody();
      },
    },
  };
}
