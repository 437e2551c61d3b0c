import { checkUserId } from '@clawlink/usersig';
import { TIM_CODES, TimCodeError } from '../protocol/tim-codes.js';
import type { EmulatorStorage, StoredGroup, StoredMember, StoredUser } from '../storage/storage.js';

/** What every part of the state works on: the storage and the clock. */
export interface StateContext {
  storage: EmulatorStorage;
  /** Clock in milliseconds since the epoch. */
  now: () => number;
}

/** The UTF-8 length of `text`, as TIM counts its limits. */
export const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Milliseconds to whole seconds, as TIM's wire carries times. */
export const seconds = (ms: number): number => Math.floor(ms / 1000);

/** Throws `code` (default 7003) when `userId` breaks TIM's UserID rules. */
export function requireValidUserId(userId: string, code: number = TIM_CODES.INVALID_USER_ID): void {
  const problem = checkUserId(userId);
  if (problem) throw new TimCodeError(code, `invalid UserID: ${problem}`);
}

/** The stored user, or `code` (default 10019) when it does not exist. */
export function requireUser(
  { storage }: StateContext,
  userId: string,
  code: number = TIM_CODES.USER_NOT_FOUND,
): StoredUser {
  const user = storage.getUser(userId);
  if (!user) {
    throw new TimCodeError(code, `user "${userId}" does not exist; create it (or log it in) first`);
  }
  return user;
}

/** The stored group, or 10010 when it does not exist. */
export function requireGroup({ storage }: StateContext, groupId: string): StoredGroup {
  const group = typeof groupId === 'string' ? storage.getGroup(groupId) : undefined;
  if (!group) {
    throw new TimCodeError(
      TIM_CODES.GROUP_NOT_FOUND,
      `group "${String(groupId)}" does not exist or was dismissed; check the group id`,
    );
  }
  return group;
}

/** `userId`'s membership of `group`, or 10007 when it is not a member. */
export function requireMember(
  { storage }: StateContext,
  group: StoredGroup,
  userId: string,
): StoredMember {
  const member = storage.getMember(group.groupId, userId);
  if (!member) {
    throw new TimCodeError(
      TIM_CODES.PERMISSION_DENIED,
      `"${userId}" is not a member of group "${group.groupId}"; join it first`,
    );
  }
  return member;
}
