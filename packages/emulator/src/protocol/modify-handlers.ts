import { MSG_PUSH } from '../delivery.js';
import type { Connection } from '../sessions.js';
import { type MessageModification, ModifyConflictError } from '../state/message-modifications.js';
import type { StoredMessage } from '../storage/storage.js';
import { failBody, okBody } from './frame.js';
import { type HandlerTable, int, type ProtocolDeps, str } from './handler.js';
import { readMsgBody } from './message-body.js';

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** The fields of a message's current version, as the modify answer and push carry them. */
function versionFields(message: StoredMessage): Record<string, unknown> {
  return {
    MsgBody: message.msgBody,
    MsgVersion: message.version ?? 0,
    CloudCustomData: message.cloudCustomData,
  };
}

/** A modified group message as the `GroupMsgModNotifys` push carries it. */
export function groupModifiedWire(message: StoredMessage): Record<string, unknown> {
  const groupId = message.conversation.type === 'group' ? message.conversation.groupId : '';
  return {
    GroupId: groupId,
    From_Account: message.from,
    MsgSeq: message.seq,
    MsgRandom: message.random,
    MsgTime: seconds(message.time),
    ...versionFields(message),
  };
}

/** A modified C2C message as the `C2cMsgModNotifys` push carries it. */
export function c2cModifiedWire(message: StoredMessage): Record<string, unknown> {
  const to = message.conversation.type === 'c2c' ? message.conversation.to : '';
  return {
    From_Account: message.from,
    To_Account: to,
    MsgSeq: message.seq,
    MsgRandom: message.random,
    MsgTime: seconds(message.time),
    ...versionFields(message),
  };
}

/** The body/custom data a modify request replaces (the SDK sends both, `MsgBody` for types it can modify). */
function readModification(body: Record<string, unknown>): MessageModification {
  return {
    version: int(body, 'MsgVersion', 0),
    ...(Array.isArray(body.MsgBody) ? { msgBody: readMsgBody(body) } : {}),
    ...(typeof body.CloudCustomData === 'string' ? { cloudCustomData: body.CloudCustomData } : {}),
  };
}

/**
 * TIM's message modification, as tim-js-sdk's `modifyMessage` drives it:
 * `openim.modify_group_msg` `{GroupId, MsgSeq, MsgVersion, MsgBody?, CloudCustomData?}` and
 * `openim.modify_c2c_msg` `{From_Account, To_Account, MsgSeq, MsgRandom, MsgTime, MsgVersion,
 * MsgBody?, CloudCustomData?}`. Both answer the new `MsgBody`, `MsgVersion` and
 * `CloudCustomData` (the SDK updates its copy from them); a stale `MsgVersion` answers 20027
 * with the current ones (the SDK rejects with 2480 and the latest message). The new version is
 * pushed (`im_open_push.msg_push`, `GroupMsgModNotifys` / `C2cMsgModNotifys`) to every other
 * online session of the conversation, where the SDK emits `MESSAGE_MODIFIED`.
 */
export function createModifyHandlers(deps: ProtocolDeps): HandlerTable {
  // The SDK dispatches these pushes on their array key (`GroupMsgModNotifys`/`C2cMsgModNotifys`);
  // it does not read their `Event` number, so they carry that of the message family.
  const { state, sessions } = deps;

  function push(userIds: Iterable<string>, body: Record<string, unknown>, except: Connection) {
    for (const userId of new Set(userIds)) {
      for (const session of sessions.sessionsOf(userId)) {
        if (session.connection !== except) sessions.pushTo(session, MSG_PUSH, body);
      }
    }
  }

  function answer(modify: () => StoredMessage, notify: (message: StoredMessage) => void) {
    try {
      const message = modify();
      queueMicrotask(() => notify(message));
      return okBody({
        MsgSeq: message.seq,
        MsgTime: seconds(message.time),
        ...versionFields(message),
      });
    } catch (error) {
      if (!(error instanceof ModifyConflictError)) throw error;
      return { ...failBody(error.code, error.message), ...versionFields(error.current) };
    }
  }

  return {
    'openim.modify_group_msg': {
      auth: true,
      handle: ({ body, session, connection }) => {
        const groupId = str(body, 'GroupId');
        return answer(
          () =>
            state.modifyGroupMessage(
              session.userId,
              groupId,
              int(body, 'MsgSeq', 0),
              readModification(body),
            ),
          (message) =>
            push(
              state.listMembers(groupId).map((m) => m.userId),
              { EventArray: [{ Event: 3, GroupMsgModNotifys: [groupModifiedWire(message)] }] },
              connection,
            ),
        );
      },
    },

    'openim.modify_c2c_msg': {
      auth: true,
      handle: ({ body, session, connection }) => {
        const from = str(body, 'From_Account');
        const to = str(body, 'To_Account');
        return answer(
          () =>
            state.modifyC2CMessage(
              session.userId,
              {
                from,
                to,
                seq: int(body, 'MsgSeq', 0),
                random: int(body, 'MsgRandom', 0),
                time: int(body, 'MsgTime', 0),
              },
              readModification(body),
            ),
          (message) =>
            push(
              [from, to],
              { EventArray: [{ Event: 1, C2cMsgModNotifys: [c2cModifiedWire(message)] }] },
              connection,
            ),
        );
      },
    },
  };
}
