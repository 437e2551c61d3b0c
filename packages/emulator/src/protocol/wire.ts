import type { StoredGroup, StoredMember, StoredMessage } from '../storage/storage.js';
import type { GroupType } from '../types.js';

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** The SDK's names on the wire: Work groups travel as `Private`, Meeting groups as `ChatRoom`. */
const WIRE_GROUP_TYPES: Record<GroupType, string> = {
  Public: 'Public',
  Work: 'Private',
  Meeting: 'ChatRoom',
};

/** A group type as the SDK names it on the wire. */
export function toWireGroupType(type: GroupType): string {
  return WIRE_GROUP_TYPES[type];
}

/** A group type from the wire (`Private`/`ChatRoom`, or TIM's REST names); the input otherwise. */
export function fromWireGroupType(type: string): string {
  if (type === 'Private') return 'Work';
  if (type === 'ChatRoom') return 'Meeting';
  return type;
}

/** A group's profile as `get_group_*_info` and `get_joined_group_list` carry it. */
export function groupInfoWire(
  group: StoredGroup,
  memberCount: number,
  self?: StoredMember,
): Record<string, unknown> {
  const info: Record<string, unknown> = {
    GroupId: group.groupId,
    Type: toWireGroupType(group.type),
    Name: group.name,
    Introduction: group.introduction,
    Notification: group.notification,
    FaceUrl: group.faceUrl,
    Owner_Account: group.owner,
    CreateTime: seconds(group.createdAt),
    InfoSeq: group.infoSeq,
    LastInfoTime: group.lastInfoTime,
    LastMsgTime: group.lastMsgTime,
    MemberNum: memberCount,
    MaxMemberNum: 2000,
    ApplyJoinOption: group.type === 'Work' ? 'DisableApply' : 'FreeAccess',
    InviteJoinOption: 'FreeAccess',
    NextMsgSeq: group.nextSeq,
    ShutUpAllMember: 'Off',
    AppDefinedData: Object.entries(group.customFields).map(([Key, Value]) => ({ Key, Value })),
  };
  if (self) {
    info.SelfInfo = {
      Role: self.role,
      JoinTime: self.joinTime,
      MsgFlag: 'AcceptAndNotify',
      MsgSeq: group.nextSeq - 1,
      NameCard: '',
    };
  }
  return info;
}

/** A group member as `get_group_member_info` carries it. */
export function memberWire(member: StoredMember): Record<string, unknown> {
  return {
    Member_Account: member.userId,
    Role: member.role,
    JoinTime: member.joinTime,
    NameCard: '',
    ShutUpUntil: 0,
    MsgFlag: 'AcceptAndNotify',
  };
}

/**
 * What tim-js-sdk builds a received message's `ID` from (`<TinyId>-<MsgClientTime>-<random>`):
 * the sender's values, so the ID is the one the sender's SDK gave the message when it made it.
 * Without them the SDK dates the message itself, on receipt.
 */
function messageIdWire(message: StoredMessage): { MsgClientTime: number; TinyId: string } {
  return { MsgClientTime: message.clientTime, TinyId: message.senderTinyId };
}

/** A group message as pushes (`GroupMsgArray`) and `group_msg_get` carry it. */
export function groupMessageWire(
  message: StoredMessage,
  group: { groupId: string; type: GroupType },
  fromNick: string,
): Record<string, unknown> {
  const time = seconds(message.time);
  return {
    From_Account: message.from,
    MsgSeq: message.seq,
    MsgRandom: message.random,
    Random: message.random,
    MsgTimeStamp: time,
    MsgTime: time,
    MsgPriority: message.priority,
    ClientSeq: message.clientSeq,
    MsgBody: message.msgBody,
    CloudCustomData: message.cloudCustomData,
    GroupAtInfo: message.groupAtInfo,
    ToGroupId: group.groupId,
    GroupInfo: {
      GroupId: group.groupId,
      GroupType: toWireGroupType(group.type),
      From_AccountNick: fromNick,
    },
    IsPlaceMsg: 0,
    MsgVersion: message.version ?? 0,
    ...messageIdWire(message),
  };
}

/** A C2C message as pushes (`C2cMsgArray`) and `openim.getroammsg` carry it. */
export function c2cMessageWire(message: StoredMessage): Record<string, unknown> {
  const to = message.conversation.type === 'c2c' ? message.conversation.to : '';
  return {
    From_Account: message.from,
    To_Account: to,
    MsgSeq: message.seq,
    MsgRandom: message.random,
    MsgTimeStamp: seconds(message.time),
    MsgBody: message.msgBody,
    CloudCustomData: message.cloudCustomData,
    MsgKey: message.msgKey,
    MsgVersion: message.version ?? 0,
    ...messageIdWire(message),
  };
}

/** The `im_open_push.msg_push` body for group messages. */
export function groupPushBody(messages: Record<string, unknown>[]): Record<string, unknown> {
  return { EventArray: [{ Event: 3, GroupMsgArray: messages }] };
}

/** The `im_open_push.msg_push` body for C2C messages. */
export function c2cPushBody(messages: Record<string, unknown>[]): Record<string, unknown> {
  return { EventArray: [{ Event: 1, C2cMsgArray: messages }] };
}

/**
 * The `im_open_push.msg_push` body telling a user's sessions that its nick changed. The SDK
 * reads the `ProfileDataMod` array (it emits `onProfileUpdated`); Event 8 is the profile
 * notice of the older Web SDK's event table (the SDK does not check it).
 */
export function profilePushBody(userId: string, nick: string): Record<string, unknown> {
  return {
    EventArray: [
      {
        Event: 8,
        ProfileDataMod: [
          { Profile_Account: userId, ProfileList: [{ Tag: NICK_TAG, ValueBytes: nick }] },
        ],
      },
    ],
  };
}

/** The profile tag of a user's nick. */
export const NICK_TAG = 'Tag_Profile_IM_Nick';

/** Kick types of `stat_forceoffline`, as the SDK reads them. */
export const KICK_TYPES = {
  /** Another login of the same account on the same platform: `multipleAccount`. */
  multipleAccount: 1,
  /** Another login on another device/platform: `multipleDevice`. */
  multipleDevice: 2,
  /** Kicked through the REST API (the emulator's `kick()`): `REST_API_Kick`. */
  restApi: 3,
} as const;

/** The `im_open_status.stat_forceoffline` body that signs a session out. */
export function kickPushBody(kickType: number): Record<string, unknown> {
  return {
    EventArray: [
      {
        Event: 9,
        C2cNotifyMsgArray: [{ KickoutMsgNotify: { KickType: kickType, NewInstInfo: {} } }],
      },
    ],
  };
}

/**
 * The `im_open_push.msg_push` body telling a user that `reader` read their one-to-one chat up
 * to `timeSeconds` (TIM's C2C read receipt, Event 10 of the older Web SDK's table): the SDK
 * marks its sent messages of that chat up to then `isPeerRead` and emits
 * `MESSAGE_READ_BY_PEER`.
 */
export function c2cReadReceiptPushBody(
  reader: string,
  timeSeconds: number,
): Record<string, unknown> {
  return {
    EventArray: [
      {
        Event: 10,
        C2cNotifyMsgArray: [
          {
            C2cReadedReceipt: {
              To_Account: reader,
              UinPairReadArray: [{ LastReadTime: timeSeconds }],
            },
          },
        ],
      },
    ],
  };
}
