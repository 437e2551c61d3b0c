import type { ClawlinkErrorCode } from '../errors/clawlink-error.js';
import { TimError } from '../errors/tim-error.js';

/** How one TIM error code becomes a clawlink error. */
export interface TimCodeMapping {
  readonly code: ClawlinkErrorCode;
  /** What happened and what to do, in one sentence without the operation name. */
  readonly hint: string;
}

const NOT_LOGGED_IN: TimCodeMapping = {
  code: 'NOT_CONNECTED',
  hint: 'the TIM client is not logged in; wait until it is ready (or log in again) and retry',
};
const BAD_USERSIG: TimCodeMapping = {
  code: 'CREDENTIALS_UNAVAILABLE',
  hint: "TIM refused the UserSig; check that it was signed with this SDKAppID's secret key for this userId, then log in with a new one",
};
const KICKED: TimCodeMapping = {
  code: 'KICKED',
  hint: 'the session was signed out (another login of the same user, or an admin); log in again to continue',
};
const RATE_LIMITED: TimCodeMapping = {
  code: 'RATE_LIMITED',
  hint: 'TIM asks to slow down (a group takes at most 40 messages per second); wait a moment and retry',
};
const NOT_MEMBER: TimCodeMapping = {
  code: 'PERMISSION_DENIED',
  hint: 'this account is not allowed to do that here (not a member, or lacks the owner/admin role); join the channel or ask its owner',
};
const NO_GROUP: TimCodeMapping = {
  code: 'CHANNEL_NOT_FOUND',
  hint: 'the channel does not exist or was dismissed; check the channel id (listChannels shows joined channels)',
};
const BAD_REQUEST: TimCodeMapping = {
  code: 'INVALID_ARGUMENT',
  hint: 'TIM refused the request as malformed; check the ids and values passed',
};

/**
 * TIM's error codes (SDK-local 2xxx/3xxx and server 1xxxx/2xxxx/7xxxx/8xxxx) mapped to
 * clawlink codes. The single place where TIM codes are interpreted.
 */
export const TIM_ERROR_MAP: ReadonlyMap<number, TimCodeMapping> = new Map<number, TimCodeMapping>([
  // Credentials.
  [
    70001,
    {
      code: 'CREDENTIALS_UNAVAILABLE',
      hint: 'the UserSig has expired; get a new UserSig and log in again',
    },
  ],
  [
    3004,
    {
      code: 'CREDENTIALS_UNAVAILABLE',
      hint: 'the session ended because the UserSig expired; get a new UserSig and log in again',
    },
  ],
  [20002, BAD_USERSIG],
  [
    70013,
    {
      code: 'CREDENTIALS_UNAVAILABLE',
      hint: 'the UserSig was made for another userId; sign one for this userId',
    },
  ],
  [
    70014,
    {
      code: 'CREDENTIALS_UNAVAILABLE',
      hint: 'the UserSig was made for another SDKAppID; sign one with this SDKAppID',
    },
  ],
  // Session state (SDK-local).
  [2024, NOT_LOGGED_IN],
  [2999, NOT_LOGGED_IN],
  [3000, { code: 'NOT_CONNECTED', hint: 'a login is already in progress; wait for it and retry' }],
  [3001, { code: 'NOT_CONNECTED', hint: 'the login failed; log in again' }],
  [3005, NOT_LOGGED_IN],
  [2025, { code: 'INVALID_ARGUMENT', hint: 'this client is already logged in; log out first' }],
  [3002, KICKED],
  [3003, KICKED],
  [3006, KICKED],
  [1002, KICKED],
  // Network (SDK-local).
  [
    2800,
    {
      code: 'NOT_CONNECTED',
      hint: 'TIM could not be reached; check the network (or the `server` address) and retry',
    },
  ],
  [2805, { code: 'NOT_CONNECTED', hint: 'there is no network; retry when the connection is back' }],
  [2801, { code: 'TIMEOUT', hint: 'TIM did not answer in time; retry' }],
  // Rate limits.
  [2996, RATE_LIMITED],
  [10006, RATE_LIMITED],
  [10023, RATE_LIMITED],
  [60022, { code: 'RATE_LIMITED', hint: 'TIM is overloaded; retry later' }],
  // Message modification.
  [
    2480,
    {
      code: 'TIM_ERROR',
      hint: 'the message was modified elsewhere meanwhile; edit its latest version and retry',
    },
  ],
  [
    20026,
    { code: 'INVALID_ARGUMENT', hint: 'the message does not exist (or no longer); check its id' },
  ],
  // Groups.
  [
    2601,
    {
      code: 'PERMISSION_DENIED',
      hint: 'Work channels cannot be joined on request; a member must invite this account',
    },
  ],
  [2602, { code: 'INVALID_ARGUMENT', hint: 'the channel id is not a valid TIM group id' }],
  [2603, NO_GROUP],
  [2501, { code: 'CHANNEL_NOT_FOUND', hint: 'no such channel or user; check the id' }],
  [2600, { code: 'INVALID_ARGUMENT', hint: 'that channel type is not supported here' }],
  [2623, NOT_MEMBER],
  [2681, { code: 'PERMISSION_DENIED', hint: 'only the channel owner may do that' }],
  [10002, { code: 'TIM_ERROR', hint: 'TIM had an internal error; retry later' }],
  [10003, BAD_REQUEST],
  [10004, BAD_REQUEST],
  [
    10008,
    {
      code: 'TIM_ERROR',
      hint: 'TIM refused the request as illegal (usually a session that is no longer valid); log in again and retry',
    },
  ],
  [
    7003,
    {
      code: 'INVALID_ARGUMENT',
      hint: 'the userId is not a valid TIM UserID (at most 32 bytes, no spaces)',
    },
  ],
  [10011, BAD_REQUEST],
  [10007, NOT_MEMBER],
  [
    10009,
    {
      code: 'PERMISSION_DENIED',
      hint: 'the owner cannot leave this channel; transfer ownership or dismiss the channel instead',
    },
  ],
  [10010, NO_GROUP],
  [10015, NO_GROUP],
  [10013, { code: 'INVALID_ARGUMENT', hint: 'this account is already a member of the channel' }],
  [10014, { code: 'PERMISSION_DENIED', hint: 'the channel is full' }],
  [
    10016,
    { code: 'PERMISSION_DENIED', hint: "the app's server-side callback refused the operation" },
  ],
  [10017, { code: 'PERMISSION_DENIED', hint: 'this account is muted in the channel' }],
  [
    10018,
    { code: 'TOO_LARGE', hint: 'the request or its answer is over TIM’s size limit; send less' },
  ],
  [10019, { code: 'INVALID_ARGUMENT', hint: 'a user id given does not exist in this TIM app' }],
  [10021, { code: 'INVALID_ARGUMENT', hint: 'that channel id is already taken; choose another' }],
  [10025, { code: 'INVALID_ARGUMENT', hint: 'that channel id is already taken; choose another' }],
  // One-to-one messages.
  [20001, BAD_REQUEST],
  [
    20003,
    { code: 'INVALID_ARGUMENT', hint: 'the recipient user id does not exist in this TIM app' },
  ],
  [
    20006,
    { code: 'PERMISSION_DENIED', hint: "the app's server-side callback refused the message" },
  ],
  [20007, { code: 'PERMISSION_DENIED', hint: 'the recipient has blocked this account' }],
  [20009, { code: 'PERMISSION_DENIED', hint: 'the app only allows messages between friends' }],
  [20010, { code: 'PERMISSION_DENIED', hint: 'the app only allows messages between friends' }],
  [20012, { code: 'PERMISSION_DENIED', hint: 'this account is muted' }],
  // Content.
  [80001, { code: 'INVALID_ARGUMENT', hint: "TIM's content filter refused the text; rephrase it" }],
  [3123, { code: 'INVALID_ARGUMENT', hint: "TIM's content filter refused the text; rephrase it" }],
  [
    80002,
    {
      code: 'TOO_LARGE',
      hint: 'the message is over TIM’s 12 KB limit; split it into smaller ones',
    },
  ],
]);

/** The mapping for a TIM code; codes 70001-70499 are UserSig problems. */
export function mapTimCode(timCode: number | undefined): TimCodeMapping {
  if (timCode === undefined) {
    return {
      code: 'TIM_ERROR',
      hint: 'the TIM SDK failed without an error code; retry, and report it if it persists',
    };
  }
  const mapped = TIM_ERROR_MAP.get(timCode);
  if (mapped) return mapped;
  if (timCode >= 70001 && timCode <= 70499) return BAD_USERSIG;
  return {
    code: 'TIM_ERROR',
    hint: `TIM reported error ${timCode}; see Tencent Cloud IM's error code list`,
  };
}

/**
 * Turns anything an SDK call rejected with into a {@link TimError} naming the operation.
 * `scrub` removes secrets (e.g. the UserSig) from TIM's own message text. A `TimError` passes
 * through unchanged.
 */
export function toTimError(
  operation: string,
  error: unknown,
  scrub: (text: string) => string = (text) => text,
): TimError {
  if (TimError.isInstance(error)) return error;
  const { code: rawCode, message: rawMessage } = (
    typeof error === 'object' && error !== null ? error : {}
  ) as { code?: unknown; message?: unknown };
  const timCode = typeof rawCode === 'number' ? rawCode : undefined;
  const mapping = mapTimCode(timCode);
  const detail =
    typeof rawMessage === 'string' && rawMessage.trim() !== ''
      ? ` (TIM${timCode === undefined ? '' : ` ${timCode}`}: ${scrub(rawMessage.trim()).slice(0, 200)})`
      : timCode === undefined
        ? ''
        : ` (TIM ${timCode})`;
  return new TimError(mapping.code, `${operation} failed: ${mapping.hint}.${detail}`, {
    cause: error,
    operation,
    ...(timCode === undefined ? {} : { timCode }),
  });
}
