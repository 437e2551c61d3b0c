import type { GroupChange } from '../state/groups.js';
import type { StoredGroup } from '../storage/storage.js';
import type { GroupType } from '../types.js';
import { okBody } from './frame.js';
import {
  type HandlerTable,
  int,
  isRecord,
  list,
  type ProtocolDeps,
  type SessionRequestContext,
  str,
} from './handler.js';
import { readAtInfo, readMsgBody } from './message-body.js';
import { TIM_CODES, TimCodeError } from './tim-codes.js';
import { fromWireGroupType, groupInfoWire, groupMessageWire, memberWire } from './wire.js';

const SVC = 'group_open_http_svc';

/** A page of group notices that is empty and the last. */
const NO_NOTICES = { NextMsgTime: 0, NotifyMsgList: [] } as const;

/** `AppDefinedData: [{Key, Value}]` as a record. */
function customFieldsOf(body: Record<string, unknown>): Record<string, string> | undefined {
  if (!Array.isArray(body.AppDefinedData)) return undefined;
  const fields: Record<string, string> = {};
  for (const item of body.AppDefinedData) {
    if (!isRecord(item) || typeof item.Key !== 'string') {
      throw new TimCodeError(
        TIM_CODES.INVALID_PARAMETERS,
        'AppDefinedData items need a string Key',
      );
    }
    fields[item.Key] = typeof item.Value === 'string' ? item.Value : String(item.Value ?? '');
  }
  return fields;
}

/** Group commands of `group_open_http_svc`: create, profile, join/quit, members, dismiss, history. */
export function createGroupHandlers(deps: ProtocolDeps): HandlerTable {
  const { state, delivery } = deps;
  const nickOf = (userId: string): string => state.getUser(userId)?.nick ?? '';

  function requireGroup(groupId: string): StoredGroup {
    const group = state.getGroup(groupId);
    if (!group) {
      throw new TimCodeError(
        TIM_CODES.GROUP_NOT_FOUND,
        `group "${groupId}" does not exist or was dismissed`,
      );
    }
    return group;
  }

  function requireMember(group: StoredGroup, userId: string): void {
    if (!state.getMember(group.groupId, userId)) {
      throw new TimCodeError(
        TIM_CODES.PERMISSION_DENIED,
        `"${userId}" is not a member of group "${group.groupId}"`,
      );
    }
  }

  /** Group infos for `GroupIdList`, each with its own ErrorCode as TIM answers. */
  function infos(ctx: SessionRequestContext, withSelf: boolean): Record<string, unknown>[] {
    return list(ctx.body, 'GroupIdList').map((id) => {
      const groupId = typeof id === 'string' ? id : String(id);
      const group = state.getGroup(groupId);
      if (!group) {
        return {
          GroupId: groupId,
          ErrorCode: TIM_CODES.GROUP_NOT_FOUND,
          ErrorInfo: `group "${groupId}" does not exist or was dismissed`,
        };
      }
      const self = state.getMember(groupId, ctx.session.userId);
      if (!self && group.type === 'Work') {
        return {
          GroupId: groupId,
          ErrorCode: TIM_CODES.PERMISSION_DENIED,
          ErrorInfo: `only members may read Work group "${groupId}"`,
        };
      }
      const count = state.listMembers(groupId).length;
      const info = groupInfoWire(group, count, withSelf ? self : undefined);
      if (withSelf && self) info.MemberList = [memberWire(self)];
      return { ...info, ErrorCode: 0, ErrorInfo: '' };
    });
  }

  return {
    [`${SVC}.create_group`]: {
      auth: true,
      handle: ({ body, session }) => {
        const members = list(body, 'MemberList')
          .map((m) => (isRecord(m) ? m.Member_Account : undefined))
          .filter((id): id is string => typeof id === 'string');
        const customFields = customFieldsOf(body);
        const group = state.createGroup({
          type: fromWireGroupType(str(body, 'Type') || 'Public') as GroupType,
          name: str(body, 'Name'),
          owner: session.userId,
          introduction: str(body, 'Introduction'),
          notification: str(body, 'Notification'),
          faceUrl: str(body, 'FaceUrl'),
          members,
          ...(str(body, 'GroupId') ? { groupId: str(body, 'GroupId') } : {}),
          ...(customFields ? { customFields } : {}),
        });
        return okBody({ GroupId: group.groupId });
      },
    },

    [`${SVC}.get_group_self_member_info`]: {
      auth: true,
      handle: (ctx) => okBody({ GroupInfo: infos(ctx, true) }),
    },

    [`${SVC}.get_group_public_info`]: {
      auth: true,
      handle: (ctx) => okBody({ GroupInfo: infos(ctx, false) }),
    },

    [`${SVC}.get_joined_group_list`]: {
      auth: true,
      handle: ({ body, session }) => {
        const groups = state.groupsOf(session.userId);
        const offset = int(body, 'Offset', 0);
        const limit = int(body, 'Limit', 50) || 50;
        const page = groups
          .slice(offset, offset + limit)
          .map((group) =>
            groupInfoWire(
              group,
              state.listMembers(group.groupId).length,
              state.getMember(group.groupId, session.userId),
            ),
          );
        return okBody({ GroupIdList: page, TotalCount: groups.length });
      },
    },

    [`${SVC}.modify_group_base_info`]: {
      auth: true,
      handle: ({ body, session }) => {
        const change: GroupChange = {};
        for (const [wire, key] of [
          ['Name', 'name'],
          ['Introduction', 'introduction'],
          ['Notification', 'notification'],
          ['FaceUrl', 'faceUrl'],
        ] as const) {
          if (typeof body[wire] === 'string') change[key] = body[wire];
        }
        const customFields = customFieldsOf(body);
        if (customFields) change.customFields = customFields;
        state.modifyGroup(str(body, 'GroupId'), session.userId, change);
        return okBody();
      },
    },

    [`${SVC}.apply_join_group`]: {
      auth: true,
      handle: ({ body, session }) => {
        state.joinGroup(str(body, 'GroupId'), session.userId);
        return okBody({ JoinedStatus: 'JoinedSuccess' });
      },
    },

    [`${SVC}.quit_group`]: {
      auth: true,
      handle: ({ body, session }) => {
        state.quitGroup(str(body, 'GroupId'), session.userId);
        return okBody();
      },
    },

    [`${SVC}.destroy_group`]: {
      auth: true,
      handle: ({ body, session }) => {
        state.dismissGroup(str(body, 'GroupId'), session.userId);
        return okBody();
      },
    },

    [`${SVC}.add_group_member`]: {
      auth: true,
      handle: ({ body, session }) => {
        const userIds = list(body, 'MemberList')
          .map((m) => (isRecord(m) ? m.Member_Account : undefined))
          .filter((id): id is string => typeof id === 'string');
        const { results } = state.addMembers(str(body, 'GroupId'), userIds, session.userId);
        return okBody({
          MemberList: results.map((r) => ({ Member_Account: r.userId, Result: r.added ? 1 : 2 })),
        });
      },
    },

    [`${SVC}.delete_group_member`]: {
      auth: true,
      handle: ({ body, session }) => {
        const group = requireGroup(str(body, 'GroupId'));
        const actor = state.getMember(group.groupId, session.userId);
        if (!actor || (actor.role === 'Member' && group.type !== 'Work')) {
          throw new TimCodeError(
            TIM_CODES.PERMISSION_DENIED,
            `only the owner or an admin may remove members of group "${group.groupId}"`,
          );
        }
        const userIds = list(body, 'MemberToDel_Account').filter(
          (id): id is string => typeof id === 'string',
        );
        state.removeMembers(group.groupId, userIds);
        return okBody();
      },
    },

    [`${SVC}.get_group_member_info`]: {
      auth: true,
      handle: ({ body, session }) => {
        const group = requireGroup(str(body, 'GroupId'));
        requireMember(group, session.userId);
        const members = state.listMembers(group.groupId);
        const offset = int(body, 'Offset', 0);
        const limit = int(body, 'Limit', 100) || 100;
        return okBody({
          MemberNum: members.length,
          MemberList: members.slice(offset, offset + limit).map(memberWire),
        });
      },
    },

    [`${SVC}.send_group_msg`]: {
      auth: true,
      handle: ({ body, session, connection }) => {
        const groupId = str(body, 'GroupId');
        const message = state.sendGroupMessage(
          groupId,
          {
            from: session.userId,
            msgBody: readMsgBody(body),
            groupAtInfo: readAtInfo(body),
            cloudCustomData: str(body, 'CloudCustomData'),
            random: int(body, 'Random', 0),
            clientSeq: int(body, 'ClientSeq', 0),
            priority: str(body, 'MsgPriority') || 'Normal',
            clientTime: int(body, 'MsgClientTime', 0),
          },
          true,
        );
        queueMicrotask(() => delivery.groupMessage(message, connection));
        return okBody({ MsgTime: Math.floor(message.time / 1000), MsgSeq: message.seq });
      },
    },

    // Group notices (revocations) since BeginTime. The emulator revokes nothing, so the list is
    // empty; `NextMsgTime: 0` tells the SDK there is no next page (without it, it asks again at
    // once, forever).
    [`${SVC}.get_group_notify`]: {
      auth: true,
      handle: ({ body, session }) => {
        const group = requireGroup(str(body, 'GroupId'));
        requireMember(group, session.userId);
        return okBody({ GroupId: group.groupId, ...NO_NOTICES });
      },
    },

    // 3.x asks for many groups at once; each answer carries its GroupId.
    [`${SVC}.batch_get_group_notify`]: {
      auth: true,
      handle: ({ body }) =>
        okBody({
          NotifyRspList: list(body, 'NotifyReqList')
            .filter(isRecord)
            .map((request) => ({ GroupId: str(request, 'GroupId'), ...NO_NOTICES })),
        }),
    },

    [`${SVC}.group_msg_get`]: {
      auth: true,
      handle: ({ body, session }) => {
        const group = requireGroup(str(body, 'GroupId'));
        requireMember(group, session.userId);
        const limit = Math.min(int(body, 'ReqMsgNumber', 20) || 20, 100);
        const maxSeq = int(body, 'ReqMsgSeq', group.nextSeq - 1);
        const messages = state.groupMessages(group.groupId, limit, maxSeq);
        const oldest = messages.at(-1);
        const finished =
          !oldest || state.groupMessages(group.groupId, 1, oldest.seq - 1).length === 0;
        return okBody({
          GroupId: group.groupId,
          IsFinished: finished ? 1 : 0,
          RspMsgList: messages.map((m) => groupMessageWire(m, group, nickOf(m.from))),
        });
      },
    },
  };
}
