import { randomBytes } from 'node:crypto';
import { okBody } from './frame.js';
import { type HandlerTable, isRecord, list, type ProtocolDeps } from './handler.js';
import { NICK_TAG } from './wire.js';

/** Missed messages returned per `openim.getmsg` page (`SyncFlag` 1 asks for the next). */
const SYNC_PAGE = 100;

/**
 * Commands the SDK sends on its own around login, answered with the shapes it needs to reach
 * SDK_READY without looping (e.g. `recentcontact.page_get` needs `CompleteFlag: 1`). They answer
 * with empty or static data, so they work with or without a session.
 */
export function createBootHandlers(deps: ProtocolDeps): HandlerTable {
  const { state, sdkAppId, now } = deps;
  // None of these needs the session: the SDK may still send them around logout and destroy,
  // and an error there surfaces only as an SDK-internal unhandled rejection.
  const generic = { auth: false, handle: () => okBody() } as const;

  return {
    'heartbeat.alive': generic,
    'im_open_status.wshello': generic,
    'imopenstat.tim_web_report_v2': generic,
    'openim.ws_msg_push_ack': generic,
    'recentcontact.get_contact_group': generic,
    'recentcontact.search_contact_group': generic,
    'openim.get_c2c_peer_mute_notifications': generic,
    'openim.msg_read_report': generic,
    'sns.friend_get': {
      auth: false,
      handle: () => okBody({ FriendNum: 0, InfoItem: [], CompleteFlag: 1, NextStartIndex: 0 }),
    },
    'sns.group_get': generic,
    'sns.pendency_get': {
      auth: false,
      handle: () => okBody({ PendencyItem: [], UnreadPendencyCount: 0, CompleteFlag: 1 }),
    },
    'sns.black_list_get': {
      auth: false,
      handle: () => okBody({ BlackListItem: [], StartIndex: 0, CurruentSequence: 0 }),
    },
    'openim.getmsg': {
      auth: false,
      handle: ({ connection }) => {
        // C2C messages the session missed while its socket was down (none at a first login).
        const missed = connection.session?.missedC2C.splice(0, SYNC_PAGE) ?? [];
        const more = (connection.session?.missedC2C.length ?? 0) > 0;
        return okBody({
          Cookie: `cookie-${now()}`,
          SyncFlag: more ? 1 : 2,
          MsgList: missed,
          EventArray: [],
        });
      },
    },
    'openim.authkey': {
      auth: false,
      handle: () => okBody({ AuthKey: randomBytes(16).toString('hex'), ExpireTime: 86400 }),
    },
    'profile.portrait_get_all': {
      auth: false,
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
                ProfileItem: [{ Tag: NICK_TAG, Value: user?.nick ?? '' }],
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
      auth: false,
      handle: () => okBody({ GroupIdList: [], TotalCount: 0 }),
    },
  };
}
