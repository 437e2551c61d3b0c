import { okBody } from './frame.js';
import { type HandlerTable, int, type ProtocolDeps, str } from './handler.js';
import { readMsgBody } from './message-body.js';
import { c2cMessageWire } from './wire.js';

/** One-to-one messages: `openim.sendmsg` and the roaming history `openim.getroammsg`. */
export function createC2CHandlers(deps: ProtocolDeps): HandlerTable {
  const { state, delivery } = deps;

  return {
    'openim.sendmsg': {
      auth: true,
      handle: ({ body, session, connection }) => {
        const seq = int(body, 'MsgSeq', 0);
        // The SDK's `onlineUserOnly` is a message lifetime of 0 s: for whoever is online now.
        const onlineOnly = int(body, 'MsgLifeTime', -1) === 0;
        const message = state.sendC2CMessage(str(body, 'To_Account'), {
          from: session.userId,
          msgBody: readMsgBody(body),
          cloudCustomData: str(body, 'CloudCustomData'),
          random: int(body, 'MsgRandom', 0),
          clientTime: int(body, 'MsgClientTime', 0),
          ...(seq > 0 ? { seq } : {}),
          onlineOnly,
        });
        queueMicrotask(() => delivery.c2cMessage(message, connection, { onlineOnly }));
        return okBody({ MsgTime: Math.floor(message.time / 1000), MsgKey: message.msgKey });
      },
    },

    'openim.getroammsg': {
      auth: true,
      handle: ({ body, session }) => {
        const peer = str(body, 'Peer_Account');
        const max = Math.min(int(body, 'MaxCnt', 15) || 15, 100);
        const key = str(body, 'MsgKey');
        const anchor = key ? state.findC2CMessage(session.userId, peer, key) : undefined;
        const page = state.c2cMessages(session.userId, peer, max + 1, anchor?.ord);
        const complete = page.length <= max;
        const messages = page.slice(0, max);
        const oldest = messages.at(-1);
        return okBody({
          Complete: complete ? 1 : 0,
          MsgCnt: messages.length,
          LastMsgTime: oldest ? Math.floor(oldest.time / 1000) : 0,
          MsgKey: oldest?.msgKey ?? '',
          MsgList: messages.reverse().map(c2cMessageWire),
        });
      },
    },
  };
}
