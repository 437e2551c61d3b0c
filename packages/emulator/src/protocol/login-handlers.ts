import { checkUserId, verifyUserSig } from '@clawlink/usersig';
import { okBody } from './frame.js';
import type { HandlerTable, ProtocolDeps, RequestContext } from './handler.js';
import { TIM_CODES, TimCodeError } from './tim-codes.js';
import { KICK_TYPES } from './wire.js';

const SIG_REJECTIONS = {
  malformed: TIM_CODES.USER_SIG_MALFORMED,
  'wrong-app': TIM_CODES.USER_SIG_APP_MISMATCH,
  'bad-signature': TIM_CODES.USER_SIG_BAD_SIGNATURE,
  expired: TIM_CODES.USER_SIG_EXPIRED,
} as const;

/** The seconds between the SDK's `wshello` keep-alives. */
const HELLO_INTERVAL = 120;

/** `im_open_status.wslogin` (UserSig or A2 key) and `wslogout`. */
export function createLoginHandlers(deps: ProtocolDeps): HandlerTable {
  const { state, sessions, delivery, sdkAppId, secretKey, now } = deps;

  function loginReply(session: { a2: string; tinyId: string; instId: number }) {
    return okBody({
      A2Key: session.a2,
      TinyId: session.tinyId,
      InstId: session.instId,
      HelloInterval: HELLO_INTERVAL,
      TimeStamp: Math.floor(now() / 1000),
    });
  }

  /** A reconnecting SDK logs in again with its A2 key. */
  function resume(ctx: RequestContext, a2: string) {
    const session = sessions.byA2(a2);
    if (!session) {
      throw new TimCodeError(
        TIM_CODES.INVALID_REQUEST,
        'this A2 key has no session (it ended by logout, kick or expiry); log in with a UserSig',
      );
    }
    const user = state.getUser(session.userId);
    if (session.sigExpired || (user && session.sigIssuedAt <= user.sigsExpiredAtSeconds)) {
      sessions.end(session);
      throw new TimCodeError(TIM_CODES.USER_SIG_EXPIRED, 'UserSig expired; log in with a new one');
    }
    sessions.attach(session, ctx.connection);
    return loginReply(session);
  }

  function login(ctx: RequestContext) {
    const { head, connection } = ctx;
    if (head.a2 && sessions.byA2(head.a2)) return resume(ctx, head.a2);
    if (head.identifier === undefined || head.usersig === undefined || head.usersig === '') {
      if (head.a2) return resume(ctx, head.a2);
      throw new TimCodeError(
        TIM_CODES.USER_SIG_MALFORMED,
        'login needs an identifier and a UserSig',
      );
    }
    const problem = checkUserId(head.identifier);
    if (problem) throw new TimCodeError(TIM_CODES.INVALID_USER_ID, `invalid UserID: ${problem}`);
    const verified = verifyUserSig(head.usersig, { sdkAppId, secretKey, now });
    if (!verified.ok) {
      throw new TimCodeError(
        SIG_REJECTIONS[verified.reason],
        `UserSig refused: ${verified.detail}`,
      );
    }
    if (typeof head.sdkappid === 'string') {
      throw new TimCodeError(
        TIM_CODES.USER_SIG_APP_MISMATCH,
        `sdkappid ${head.sdkappid} is not a number; send this server's SDKAppID ${sdkAppId}`,
      );
    }
    if (head.sdkappid !== undefined && head.sdkappid !== sdkAppId) {
      throw new TimCodeError(
        TIM_CODES.USER_SIG_APP_MISMATCH,
        `this server serves SDKAppID ${sdkAppId}, not ${head.sdkappid}`,
      );
    }
    if (verified.userId !== head.identifier) {
      throw new TimCodeError(
        TIM_CODES.USER_SIG_USER_MISMATCH,
        `the UserSig was signed for another UserID than "${head.identifier}"`,
      );
    }
    const user = state.ensureUser(head.identifier);
    if (verified.issuedAtSeconds <= user.sigsExpiredAtSeconds) {
      throw new TimCodeError(
        TIM_CODES.USER_SIG_EXPIRED,
        'UserSig expired (revoked by the server); log in with a new one',
      );
    }
    for (const other of sessions.sessionsOf(user.userId)) {
      if (other.instanceId === connection.instanceId) sessions.end(other);
      else {
        // Another SDK instance of the user: on the same platform TIM reports it as
        // multipleAccount, from another platform (device) as multipleDevice.
        const sameDevice = other.platform === connection.platform;
        delivery.kick(other, sameDevice ? KICK_TYPES.multipleAccount : KICK_TYPES.multipleDevice);
      }
    }
    if (connection.session) sessions.end(connection.session);
    return loginReply(sessions.start(connection, user, verified.issuedAtSeconds));
  }

  return {
    'im_open_status.wslogin': { auth: false, handle: login },
    'im_open_status.wslogout': {
      auth: false,
      handle: ({ connection }) => {
        if (connection.session) sessions.end(connection.session);
        return okBody();
      },
    },
  };
}
