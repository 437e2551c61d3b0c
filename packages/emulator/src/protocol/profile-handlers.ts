import { okBody } from './frame.js';
import { type HandlerTable, isRecord, list, type ProtocolDeps, str } from './handler.js';
import { TIM_CODES, TimCodeError } from './tim-codes.js';
import { NICK_TAG } from './wire.js';

/**
 * The profile a user sets for itself (`updateMyProfile` -> `profile.portrait_set`). The
 * emulator keeps the nick only: a request setting any other field is refused whole, so a test
 * relying on one fails instead of reading back nothing. The user's other sessions are told
 * (`ProfileDataMod` push), as TIM tells a user's other devices.
 */
export function createProfileHandlers(deps: ProtocolDeps): HandlerTable {
  const { state, delivery } = deps;
  return {
    'profile.portrait_set': {
      auth: true,
      handle: ({ body, session, connection }) => {
        const from = str(body, 'From_Account');
        if (from !== '' && from !== session.userId) {
          throw new TimCodeError(
            TIM_CODES.PROFILE_INVALID_PARAMETERS,
            `From_Account "${from}" is not the logged-in user "${session.userId}"; a user sets its own profile`,
          );
        }
        const items = list(body, 'ProfileItem');
        if (items.length === 0) {
          throw new TimCodeError(
            TIM_CODES.PROFILE_INVALID_PARAMETERS,
            'ProfileItem must list at least one {Tag, Value}',
          );
        }
        let nick: string | undefined;
        for (const item of items) {
          const tag = isRecord(item) ? item.Tag : undefined;
          const value = isRecord(item) ? item.Value : undefined;
          if (tag !== NICK_TAG) {
            throw new TimCodeError(
              TIM_CODES.PROFILE_INVALID_PARAMETERS,
              `the emulator keeps only ${NICK_TAG}; ${String(tag)} is not supported`,
            );
          }
          if (typeof value !== 'string') {
            throw new TimCodeError(
              TIM_CODES.PROFILE_INVALID_PARAMETERS,
              `${NICK_TAG} must be a string`,
            );
          }
          nick = value;
        }
        if (nick !== undefined && nick !== state.getUser(session.userId)?.nick) {
          state.setNick(session.userId, nick);
          delivery.nickChanged(session.userId, nick, connection);
        }
        return okBody();
      },
    },
  };
}
