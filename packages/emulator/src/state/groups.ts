import { randomBytes } from 'node:crypto';
import { TIM_CODES, TIM_LIMITS, TimCodeError } from '../protocol/tim-codes.js';
import type { MemberRole, StoredGroup, StoredMember } from '../storage/storage.js';
import type { EmulatorGroup, GroupType } from '../types.js';
import {
  bytes,
  requireGroup,
  requireMember,
  requireUser,
  type StateContext,
  seconds,
} from './state-context.js';

/** Options of `createGroup`. */
export interface CreateGroupInput {
  groupId?: string;
  type?: GroupType;
  name: string;
  owner: string;
  introduction?: string;
  notification?: string;
  faceUrl?: string;
  customFields?: Record<string, string>;
  members?: string[];
}

/** A change of a group's profile (`modify_group_base_info`); absent fields stay as they are. */
export interface GroupChange {
  name?: string;
  introduction?: string;
  notification?: string;
  faceUrl?: string;
  /** Keys to set; an empty value deletes the key, as TIM does. */
  customFields?: Record<string, string>;
}

const GROUP_TYPES: readonly GroupType[] = ['Public', 'Work', 'Meeting'];

/** Groups and their members, with TIM's limits and roles. */

/** Creates the groups part of the state. */
export function createGroupState(ctx: StateContext) {
  const { storage, now } = ctx;

  function requireManager(group: StoredGroup, userId: string, what: string): void {
    const member = requireMember(ctx, group, userId);
    if (group.type !== 'Work' && member.role === 'Member') {
      throw new TimCodeError(
        TIM_CODES.PERMISSION_DENIED,
        `only the owner or an admin of ${group.type} group "${group.groupId}" may ${what}`,
      );
    }
  }

  function checkText(value: string | undefined, what: string, maxBytes: number): void {
    if (value === undefined) return;
    if (typeof value !== 'string') {
      throw new TimCodeError(TIM_CODES.INVALID_PARAMETERS, `${what} must be a string`);
    }
    if (bytes(value) > maxBytes) {
      throw new TimCodeError(
        TIM_CODES.INVALID_PARAMETERS,
        `${what} is ${bytes(value)} bytes; TIM allows at most ${maxBytes}`,
      );
    }
  }

  function checkCustomFields(fields: Record<string, string>, merged: Record<string, string>): void {
    for (const [key, value] of Object.entries(fields)) {
      if (!/^[A-Za-z0-9_]+$/.test(key) || bytes(key) > TIM_LIMITS.customFieldKeyBytes) {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          `custom field key "${key.slice(0, 40)}" is invalid; use at most ${TIM_LIMITS.customFieldKeyBytes} letters, digits or underscores`,
        );
      }
      if (typeof value !== 'string') {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          `custom field "${key}" must have a string value`,
        );
      }
      if (bytes(value) > TIM_LIMITS.customFieldValueBytes) {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          `custom field "${key}" is ${bytes(value)} bytes; TIM allows at most ${TIM_LIMITS.customFieldValueBytes}`,
        );
      }
    }
    if (Object.keys(merged).length > TIM_LIMITS.customFieldCount) {
      throw new TimCodeError(
        TIM_CODES.INVALID_PARAMETERS,
        `a group may have at most ${TIM_LIMITS.customFieldCount} custom fields`,
      );
    }
  }

  function mergeFields(
    current: Record<string, string>,
    change: Record<string, string>,
  ): Record<string, string> {
    const merged = { ...current };
    for (const [key, value] of Object.entries(change)) {
      if (value === '') delete merged[key];
      else merged[key] = value;
    }
    return merged;
  }

  function newGroupId(): string {
    for (;;) {
      const id = `@TGS#${randomBytes(6)
        .toString('base64url')
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, 'X')}`;
      if (!storage.getGroup(id)) return id;
    }
  }

  function addMember(group: StoredGroup, userId: string, role: MemberRole): void {
    storage.saveMember({ groupId: group.groupId, userId, role, joinTime: seconds(now()) });
  }

  function checkGroupFull(group: StoredGroup, adding: number): void {
    if (storage.listMembers(group.groupId).length + adding > TIM_LIMITS.maxMembers) {
      throw new TimCodeError(
        TIM_CODES.INVALID_PARAMETERS,
        `group "${group.groupId}" would exceed ${TIM_LIMITS.maxMembers} members`,
      );
    }
  }

  return {
    /** The public view of a stored group, with its members. */
    toPublicGroup(group: StoredGroup): EmulatorGroup {
      return {
        groupId: group.groupId,
        type: group.type,
        name: group.name,
        introduction: group.introduction,
        notification: group.notification,
        owner: group.owner,
        customFields: { ...group.customFields },
        members: storage.listMembers(group.groupId).map((m) => m.userId),
        createdAt: group.createdAt,
        nextSeq: group.nextSeq,
      };
    },

    getGroup: (groupId: string): StoredGroup | undefined => storage.getGroup(groupId),
    listGroups: (): StoredGroup[] => storage.listGroups(),
    listMembers: (groupId: string): StoredMember[] => storage.listMembers(groupId),
    getMember: (groupId: string, userId: string) => storage.getMember(groupId, userId),
    groupsOf: (userId: string): StoredGroup[] =>
      storage
        .groupIdsOf(userId)
        .map((id) => storage.getGroup(id))
        .filter((g): g is StoredGroup => g !== undefined),

    /** Creates a group owned by `owner`, with optional members; TIM's limits apply. */
    createGroup(input: CreateGroupInput): StoredGroup {
      const type = input.type ?? 'Public';
      if (!GROUP_TYPES.includes(type)) {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          `group type "${String(type)}" is not supported by the emulator; use Public, Work or Meeting`,
        );
      }
      if (typeof input.name !== 'string' || input.name === '') {
        throw new TimCodeError(TIM_CODES.INVALID_PARAMETERS, 'a group needs a non-empty name');
      }
      checkText(input.name, 'the group name', TIM_LIMITS.groupNameBytes);
      checkText(input.introduction, 'the group introduction', TIM_LIMITS.groupIntroductionBytes);
      checkText(input.notification, 'the group notification', TIM_LIMITS.groupNotificationBytes);
      const customFields = mergeFields({}, input.customFields ?? {});
      checkCustomFields(input.customFields ?? {}, customFields);
      requireUser(ctx, input.owner);
      const members = [...new Set((input.members ?? []).filter((id) => id !== input.owner))];
      for (const id of members) requireUser(ctx, id);
      if (members.length + 1 > TIM_LIMITS.maxMembers) {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          `a group takes at most ${TIM_LIMITS.maxMembers} members`,
        );
      }
      let groupId = input.groupId;
      if (groupId !== undefined && groupId !== '') {
        if (
          typeof groupId !== 'string' ||
          bytes(groupId) > TIM_LIMITS.groupIdBytes ||
          !/^[\x21-\x7e]+$/.test(groupId) ||
          groupId === '.' ||
          groupId === '..' ||
          groupId.toUpperCase().startsWith('@TGS#')
        ) {
          throw new TimCodeError(
            TIM_CODES.INVALID_PARAMETERS,
            `group id "${String(groupId).slice(0, 60)}" is invalid; use at most ${TIM_LIMITS.groupIdBytes} printable ASCII characters, not starting with @TGS# and not "." or ".."`,
          );
        }
        if (storage.getGroup(groupId)) {
          throw new TimCodeError(
            TIM_CODES.GROUP_ID_TAKEN,
            `group id "${groupId}" is already taken; choose another`,
          );
        }
      } else {
        groupId = newGroupId();
      }
      const at = now();
      const group: StoredGroup = {
        groupId,
        type,
        name: input.name,
        introduction: input.introduction ?? '',
        notification: input.notification ?? '',
        faceUrl: input.faceUrl ?? '',
        owner: input.owner,
        customFields,
        createdAt: at,
        nextSeq: 1,
        infoSeq: 1,
        lastInfoTime: seconds(at),
        lastMsgTime: 0,
      };
      storage.saveGroup(group);
      addMember(group, input.owner, 'Owner');
      for (const id of members) addMember(group, id, 'Member');
      return group;
    },

    /** Changes a group's profile as `actor` (owner/admin; any member of a Work group). */
    modifyGroup(groupId: string, actor: string | undefined, change: GroupChange): StoredGroup {
      const group = requireGroup(ctx, groupId);
      if (actor !== undefined) requireManager(group, actor, 'change its profile');
      if (change.name !== undefined && change.name === '') {
        throw new TimCodeError(TIM_CODES.INVALID_PARAMETERS, 'a group name cannot be empty');
      }
      checkText(change.name, 'the group name', TIM_LIMITS.groupNameBytes);
      checkText(change.introduction, 'the group introduction', TIM_LIMITS.groupIntroductionBytes);
      checkText(change.notification, 'the group notification', TIM_LIMITS.groupNotificationBytes);
      checkText(change.faceUrl, 'the group face URL', 500);
      const customFields = mergeFields(group.customFields, change.customFields ?? {});
      checkCustomFields(change.customFields ?? {}, customFields);
      const updated: StoredGroup = {
        ...group,
        name: change.name ?? group.name,
        introduction: change.introduction ?? group.introduction,
        notification: change.notification ?? group.notification,
        faceUrl: change.faceUrl ?? group.faceUrl,
        customFields,
        infoSeq: group.infoSeq + 1,
        lastInfoTime: seconds(now()),
      };
      storage.saveGroup(updated);
      return updated;
    },

    /** `userId` asks to join; Public and Meeting groups accept at once, Work groups refuse. */
    joinGroup(groupId: string, userId: string): StoredGroup {
      const group = requireGroup(ctx, groupId);
      if (group.type === 'Work') {
        throw new TimCodeError(
          TIM_CODES.PERMISSION_DENIED,
          `Work group "${groupId}" cannot be joined on request; a member must invite "${userId}"`,
        );
      }
      if (storage.getMember(groupId, userId)) {
        throw new TimCodeError(
          TIM_CODES.ALREADY_MEMBER,
          `"${userId}" is already a member of group "${groupId}"`,
        );
      }
      checkGroupFull(group, 1);
      addMember(group, userId, 'Member');
      return group;
    },

    /** `userId` leaves; the owner cannot. */
    quitGroup(groupId: string, userId: string): void {
      const group = requireGroup(ctx, groupId);
      const member = requireMember(ctx, group, userId);
      if (member.role === 'Owner') {
        throw new TimCodeError(
          TIM_CODES.OWNER_CANNOT_QUIT,
          `the owner cannot quit group "${groupId}"; dismiss it instead`,
        );
      }
      storage.deleteMember(groupId, userId);
    },

    /**
     * Adds users (as `actor`, who must be owner/admin, or any member of a Work group; the admin
     * API passes no actor). Returns, per user, whether they were added or already members.
     */
    addMembers(
      groupId: string,
      userIds: string[],
      actor?: string,
    ): { group: StoredGroup; results: { userId: string; added: boolean }[] } {
      const group = requireGroup(ctx, groupId);
      if (actor !== undefined) requireManager(group, actor, 'add members');
      const unique = [...new Set(userIds)];
      for (const id of unique) requireUser(ctx, id);
      const fresh = unique.filter((id) => !storage.getMember(groupId, id));
      checkGroupFull(group, fresh.length);
      for (const id of fresh) addMember(group, id, 'Member');
      return {
        group,
        results: unique.map((userId) => ({ userId, added: fresh.includes(userId) })),
      };
    },

    /** Removes users (admin API; the owner cannot be removed). */
    removeMembers(groupId: string, userIds: string[]): StoredGroup {
      const group = requireGroup(ctx, groupId);
      if (userIds.includes(group.owner)) {
        throw new TimCodeError(
          TIM_CODES.PERMISSION_DENIED,
          `"${group.owner}" owns group "${groupId}" and cannot be removed; dismiss the group instead`,
        );
      }
      for (const id of userIds) storage.deleteMember(groupId, id);
      return group;
    },

    /** Dismisses a group (as `actor`, who must be its owner; the admin API passes none). */
    dismissGroup(groupId: string, actor?: string): StoredGroup {
      const group = requireGroup(ctx, groupId);
      if (actor !== undefined && actor !== group.owner) {
        throw new TimCodeError(
          TIM_CODES.PERMISSION_DENIED,
          `only the owner may dismiss group "${groupId}"`,
        );
      }
      storage.deleteGroup(groupId);
      return group;
    },
  };
}
