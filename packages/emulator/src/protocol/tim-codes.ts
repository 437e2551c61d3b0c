/**
 * The TIM error codes the emulator answers with, and what each means. Sources: Tencent Cloud
 * IM's public error-code pages ("错误码", cloud.tencent.com/document/product/269/1671 and the
 * REST API 公共错误码 page 679/131708), the Web SDK's error dictionary
 * (`tim-error-message.txt`) and the constants inside `tim-js-sdk@2.27.6` itself
 * (`ERR_SVR_COMM_BODY_SIZE_LIMIT: 80002`, `ACCOUNT_A2KEY_EXPIRED: 70001`, ...), checked 2026-11.
 */
export const TIM_CODES = {
  /**
   * The UserSig has expired (account error). After login, the SDK treats this code on ANY reply
   * as "session expired": it emits `KICKED_OUT {type: 'userSigExpired'}`.
   */
  USER_SIG_EXPIRED: 70001,
  /** The UserSig could not be parsed (truncated, not base64/deflate/JSON, fields missing). */
  USER_SIG_MALFORMED: 70003,
  /** The UserSig's signature does not verify: signed with another key (forged). */
  USER_SIG_BAD_SIGNATURE: 70009,
  /** The UserID in the request differs from the one the UserSig was signed for. */
  USER_SIG_USER_MISMATCH: 70013,
  /** The SDKAppID in the request differs from the one the UserSig was signed for. */
  USER_SIG_APP_MISMATCH: 70014,
  /**
   * The UserID is not valid (empty, over 32 bytes, control characters or spaces, a reserved
   * prefix). TIM documents it as 7003 "UserID 非法".
   */
  INVALID_USER_ID: 7003,
  /**
   * Profile service: the request is not valid (REST `portrait_set` documents 40001 as an
   * incorrect request parameter). The emulator also answers it for a profile field it does not
   * keep.
   */
  PROFILE_INVALID_PARAMETERS: 40001,
  /** Group service: internal error (the emulator uses it for an unexpected exception). */
  INTERNAL_ERROR: 10002,
  /** Group service: invalid parameters (bad name/intro/custom-field size, bad group id, ...). */
  INVALID_PARAMETERS: 10004,
  /** Group service: not allowed (not a member, not the owner/admin, Work group join). */
  PERMISSION_DENIED: 10007,
  /**
   * Illegal request: no valid session (the A2 key is unknown, revoked by a kick or logout).
   * The emulator also uses it for a request sent before logging in.
   */
  INVALID_REQUEST: 10008,
  /** The owner may not quit this group (Public/Meeting groups: transfer or dismiss instead). */
  OWNER_CANNOT_QUIT: 10009,
  /** The group does not exist, or existed and was dismissed. */
  GROUP_NOT_FOUND: 10010,
  /** The request body could not be parsed as JSON (the emulator: a malformed frame). */
  INVALID_JSON: 10011,
  /** The user is already a member of the group. */
  ALREADY_MEMBER: 10013,
  /** A UserID named in the request does not exist. */
  USER_NOT_FOUND: 10019,
  /** The group id is already taken. */
  GROUP_ID_TAKEN: 10021,
  /** Group message frequency over the limit (TIM: 40 messages per second per group). */
  GROUP_SEND_FREQUENCY_LIMIT: 10023,
  /** C2C: the sender or recipient UserID is invalid or does not exist. */
  C2C_INVALID_USER: 20003,
  /** The message body is over the size limit (12 KB). */
  BODY_SIZE_LIMIT: 80002,
  /** Message modification: no message with this sequence (group) or seq/random/time (C2C). */
  MESSAGE_NOT_FOUND: 20026,
  /**
   * Message modification: the request's `MsgVersion` is not the stored one (someone modified it
   * meanwhile); the answer carries the current version, and tim-js-sdk rejects with 2480.
   */
  MODIFY_CONFLICT: 20027,
} as const;

/** TIM's documented limits the emulator enforces: the same facts core checks, written once. */
export { TIM_LIMITS } from '@clawlink/tim-facts';

/**
 * An operation refused with a TIM error code. Thrown by the emulator's state operations; the
 * protocol answers it as `{ActionStatus: 'FAIL', ErrorCode, ErrorInfo}`, the HTTP layer as a
 * 409 whose message is `message`.
 */
export class TimCodeError extends Error {
  /** The TIM error code, one of {@link TIM_CODES}. */
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = 'TimCodeError';
    this.code = code;
  }
}
