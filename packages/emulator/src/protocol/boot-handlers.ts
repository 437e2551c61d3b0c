import { randomBytes } from 'node:crypto';
import { okBody } from './frame.js';
import { type HandlerTable, isRecord, list, type ProtocolDeps } from './handler.js';

/**
 * Commands the SDK sends on its own around login, answered with the shapes it needs to reach
 * SDK_READY without looping (e.g. `recentcontact.page_get` needs `CompleteFlag: 1`).
 */
export function createBootHandlers(deps: ProtocolDeps): HandlerTable {
  const { state, sdkAppId, now } = deps;
  const generic = { auth: false, handle: () => okBody() } as const;
  const sessionGeneric = { auth: true, handle: () => okBody() } as const;

  return {
    'heartbeat.alive': generic,
    'im_open_status.wshello': sessionGeneric,
    'imopenstat.tim_web_report_v2': generic,
    'openim.ws_msg_push_ack': sessionGeneric,
    'recentcontact.get_contact_group': sessionGeneric,
    'recentcontact.search_contact_group': sessionGeneric,
    'openim.get_c2c_peer_mute_notifications': sessionGeneric,
    'openim.get_peer_read_time': sessionGeneric,
    'openim.msg_read_report': sessionGeneric,
    'group_open_http_svc.msg_read_report': sessionGeneric,
    'sns.friend_get': {
      auth: true,
      handle: () => okBody({ FriendNum: 0, InfoItem: [], CompleteFlag: 1, NextStartIndex: 0 }),
    },
    'sns.group_get': sessionGeneric,
    'sns.pendency_get': {
      auth: true,
      handle: () => okBody({ PendencyItem: [], UnreadPendencyCount: 0, CompleteFlag: 1 }),
    },
    'sns.black_list_get': {
      auth: true,
      handle: () => okBody({ BlackListItem: [], StartIndex: 0, CurruentSequence: 0 }),
    },
    'recentcontact.page_get': {
      auth: true,
      handle: ({ body }) =>
        okBody({
          CompleteFlag: 1,
          SessionItem: [],
          TimeStamp: body.TimeStamp ?? 0,
          StartIndex: body.StartIndex ?? 0,
          TopTimeStamp: body.TopTimeStamp ?? 0,
          TopStartIndex: body.TopStartIndex ?? 0,
        }),
    },
    'openim.getmsg': {
      auth: true,
      handle: () => okBody({ Cookie: `cookie-${now()}`, SyncFlag: 2, MsgList: [], EventArray: [] }),
    },
    'openim.authkey': {
      auth: true,
      handle: () => okBody({ AuthKey: randomBytes(16).toString('hex'), ExpireTime: 86400 }),
    },
    'profile.portrait_get_all': {
      auth: true,
      handle: ({ body }) =>
        okBody({
          UserProfileItem: list(body, 'UserItem')
            .filter(isRecord)
            .map((item) => {
              const userId = typeof item.To_Account === 'string' ? item.To_Account : '';
              const user = state.getUser(userId);
              return {
                To_Account: userId,
                ResultCode: 0,
                ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: user?.nick ?? '' }],
              };
            }),
        }),
    },
    'im_sdk_config_mgr.fetch_config': {
      auth: false,
      handle: () => ({
        int32_error_code: 0,
        str_error_message: '',
        str_json_config: '{}',
        uint32_expired_time: 86400,
        uint32_sdkappid: sdkAppId,
        uint64_version: 1,
      }),
    },
    'im_sdk_config_mgr.fetch_imsdk_purchase_bitsv2': {
      auth: false,
      handle: () => ({
        int32_error_code: 0,
        str_error_message: '',
        str_purchase_bits: '0',
        uint32_expired_time: 86400,
      }),
    },
    'million_group_open_http_svc.get_joined_group_list': {
      auth: true,
      handle: () => okBody({ GroupIdList: [], TotalCount: 0 }),
    },
  };
}
