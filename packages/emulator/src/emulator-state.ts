import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { checkUserId } from '@clawlink/usersig';
import { TIM_CODES, TIM_LIMITS, TimCodeError } from './protocol/tim-codes.js';
import type {
  EmulatorStorage,
  MemberRole,
  StoredAgent,
  StoredGroup,
  StoredMember,
  StoredMessage,
  StoredUser,
  WireAtInfo,
  WireElement,
} from './storage/storage.js';
import type {
  EmulatorAgent,
  EmulatorGroup,
  EmulatorMessage,
  EmulatorUser,
  GroupType,
  MessageContent,
} from './types.js';

/** What the state needs from its host. */
export interface EmulatorStateOptions {
  storage: EmulatorStorage;
  /** Clock in milliseconds since the epoch. */
  now: () => number;
}

/** Options of {@link EmulatorState.createGroup}. */
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

/** A message about to be stored: its wire body and metadata. */
export interface OutgoingMessage {
  from: string;
  msgBody: WireElement[];
  groupAtInfo?: WireAtInfo[];
  cloudCustomData?: string;
  random?: number;
  clientSeq?: number;
  priority?: string;
  /** C2C only: the sender's MsgSeq. */
  seq?: number;
}

const GROUP_TYPES: readonly GroupType[] = ['Public', 'Work', 'Meeting'];
const FIRST_TINY_ID = 144115200000000000n;

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
const seconds = (ms: number): number => Math.floor(ms / 1000);
const hashKey = (apiKey: string): string => createHash('sha256').update(apiKey).digest('hex');
const randomUint32 = (): number => randomBytes(4).readUInt32BE(0);

/** The text of a message body's content, in bytes, as TIM counts it against the 12 KB limit. */
export function messageContentBytes(msgBody: WireElement[], cloudCustomData = ''): number {
  let total = bytes(cloudCustomData);
  for (const element of msgBody) {
    for (const value of Object.values(element.MsgContent ?? {})) {
      if (typeof value === 'string') total += bytes(value);
    }
  }
  return total;
}

/** The wire body of a message given as {@link MessageContent}. */
export function contentToWire(content: MessageContent): {
  msgBody: WireElement[];
  groupAtInfo: WireAtInfo[];
} {
  if ('text' in content) {
    return {
      msgBody: [{ MsgType: 'TIMTextElem', MsgContent: { Text: content.text } }],
      groupAtInfo: (content.atUserIds ?? []).map((id) => ({
        GroupAtAllFlag: 0,
        GroupAt_Account: id,
      })),
    };
  }
  const { data, description = '', extension = '' } = content.custom;
  return {
    msgBody: [
      { MsgType: 'TIMCustomElem', MsgContent: { Data: data, Desc: description, Ext: extension } },
    ],
    groupAtInfo: [],
  };
}

/** The {@link MessageContent} view of a wire body: its first text or custom element. */
export function wireToContent(msgBody: WireElement[], groupAtInfo: WireAtInfo[]): MessageContent {
  const text = msgBody.find((e) => e.MsgType === 'TIMTextElem');
  if (text) {
    const atUserIds = groupAtInfo
      .map((at) => at.GroupAt_Account)
      .filter((id): id is string => typeof id === 'string' && id !== '');
    return {
      text: String(text.MsgContent.Text ?? ''),
      ...(atUserIds.length > 0 ? { atUserIds } : {}),
    };
  }
  const custom = msgBody.find((e) => e.MsgType === 'TIMCustomElem');
  if (custom) {
    return {
      custom: {
        data: String(custom.MsgContent.Data ?? ''),
        description: String(custom.MsgContent.Desc ?? ''),
        extension: String(custom.MsgContent.Ext ?? ''),
      },
    };
  }
  return { text: msgBody.map((e) => `[${e.MsgType}]`).join('') };
}

/** The public view of a stored message (without the wire details). */
export function toPublicMessage(message: StoredMessage): EmulatorMessage {
  const { id, conversation, from, time, seq, random, content, cloudCustomData } = message;
  return { id, conversation, from, time, seq, random, content, cloudCustomData };
}

/**
 * The emulator's state and its rules: users, groups, members, messages and agents, with TIM's
 * limits and error codes. It knows nothing of sockets: the protocol and the admin API both call
 * it, and push what it returns.
 */
export type EmulatorState = ReturnType<typeof createEmulatorState>;

/** Creates the state over a storage (memory or SQLite). */
export function createEmulatorState(options: EmulatorStateOptions) {
  const { storage, now } = options;
  /** Send times (ms) per group, for the 40 messages/s limit. */
  const groupSendTimes = new Map<string, number[]>();

  function requireValidUserId(userId: string, code: number = TIM_CODES.INVALID_USER_ID): void {
    const problem = checkUserId(userId);
    if (problem) throw new TimCodeError(code, `invalid UserID: ${problem}`);
  }

  function newUser(userId: string, nick: string): StoredUser {
    const tinyId = (FIRST_TINY_ID + BigInt(storage.nextCounter('tinyId'))).toString();
    const user: StoredUser = { userId, nick, createdAt: now(), tinyId, sigsExpiredAtSeconds: 0 };
    storage.saveUser(user);
    return user;
  }

  function requireUser(userId: string, code: number = TIM_CODES.USER_NOT_FOUND): StoredUser {
    const user = storage.getUser(userId);
    if (!user) {
      throw new TimCodeError(
        code,
        `user "${userId}" does not exist; create it (or log it in) first`,
      );
    }
    return user;
  }

  function requireGroup(groupId: string): StoredGroup {
    const group = typeof groupId === 'string' ? storage.getGroup(groupId) : undefined;
    if (!group) {
      throw new TimCodeError(
        TIM_CODES.GROUP_NOT_FOUND,
        `group "${String(groupId)}" does not exist or was dismissed; check the group id`,
      );
    }
    return group;
  }

  function requireMember(group: StoredGroup, userId: string): StoredMember {
    const member = storage.getMember(group.groupId, userId);
    if (!member) {
      throw new TimCodeError(
        TIM_CODES.PERMISSION_DENIED,
        `"${userId}" is not a member of group "${group.groupId}"; join it first`,
      );
    }
    return member;
  }

  function requireManager(group: StoredGroup, userId: string, what: string): void {
    const member = requireMember(group, userId);
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

  function toPublicGroup(group: StoredGroup): EmulatorGroup {
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
  }

  function toPublicUser(user: StoredUser): EmulatorUser {
    return { userId: user.userId, nick: user.nick, createdAt: user.createdAt };
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

  function checkMessageSize(msgBody: WireElement[], cloudCustomData: string): void {
    const size = messageContentBytes(msgBody, cloudCustomData);
    if (size > TIM_LIMITS.messageBytes) {
      throw new TimCodeError(
        TIM_CODES.BODY_SIZE_LIMIT,
        `the message is ${size} bytes; TIM allows at most ${TIM_LIMITS.messageBytes} (12 KB): send less or split it`,
      );
    }
  }

  function checkGroupRate(groupId: string): void {
    const at = now();
    const recent = (groupSendTimes.get(groupId) ?? []).filter((t) => at - t < 1000);
    if (recent.length >= TIM_LIMITS.groupMessagesPerSecond) {
      groupSendTimes.set(groupId, recent);
      throw new TimCodeError(
        TIM_CODES.GROUP_SEND_FREQUENCY_LIMIT,
        `group "${groupId}" takes at most ${TIM_LIMITS.groupMessagesPerSecond} messages per second; wait and retry`,
      );
    }
    recent.push(at);
    groupSendTimes.set(groupId, recent);
  }

  return {
    toPublicUser,
    toPublicGroup,

    getUser: (userId: string): StoredUser | undefined => storage.getUser(userId),
    listUsers: (): StoredUser[] => storage.listUsers(),

    /** Creates a user; refuses an invalid or taken UserID. */
    createUser(userId: string, nick = ''): StoredUser {
      requireValidUserId(userId);
      if (storage.getUser(userId)) {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          `user "${userId}" already exists; pick another UserID`,
        );
      }
      return newUser(userId, nick);
    },

    /** The user, created on first use (first login). */
    ensureUser(userId: string): StoredUser {
      requireValidUserId(userId);
      return storage.getUser(userId) ?? newUser(userId, '');
    },

    /** Marks every UserSig of `userId` issued up to this second as expired. */
    expireSigs(userId: string): number {
      const user = requireUser(userId);
      user.sigsExpiredAtSeconds = seconds(now());
      storage.saveUser(user);
      return user.sigsExpiredAtSeconds;
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
      requireUser(input.owner);
      const members = [...new Set((input.members ?? []).filter((id) => id !== input.owner))];
      for (const id of members) requireUser(id);
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
          groupId.toUpperCase().startsWith('@TGS#')
        ) {
          throw new TimCodeError(
            TIM_CODES.INVALID_PARAMETERS,
            `group id "${String(groupId).slice(0, 60)}" is invalid; use at most ${TIM_LIMITS.groupIdBytes} printable ASCII characters, not starting with @TGS#`,
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
      const group = requireGroup(groupId);
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
      const group = requireGroup(groupId);
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
      const group = requireGroup(groupId);
      const member = requireMember(group, userId);
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
      const group = requireGroup(groupId);
      if (actor !== undefined) requireManager(group, actor, 'add members');
      const unique = [...new Set(userIds)];
      for (const id of unique) requireUser(id);
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
      const group = requireGroup(groupId);
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
      const group = requireGroup(groupId);
      if (actor !== undefined && actor !== group.owner) {
        throw new TimCodeError(
          TIM_CODES.PERMISSION_DENIED,
          `only the owner may dismiss group "${groupId}"`,
        );
      }
      storage.deleteGroup(groupId);
      return group;
    },

    /**
     * Stores a group message from `message.from`. With `asClient`, TIM's client rules apply:
     * membership (10007), 40 messages/s per group (10023). The 12 KB limit (80002) always does.
     */
    sendGroupMessage(groupId: string, message: OutgoingMessage, asClient: boolean): StoredMessage {
      const group = requireGroup(groupId);
      const cloudCustomData = message.cloudCustomData ?? '';
      if (asClient) requireMember(group, message.from);
      else requireUser(message.from);
      checkMessageSize(message.msgBody, cloudCustomData);
      if (asClient) checkGroupRate(groupId);
      const at = now();
      const seq = group.nextSeq;
      const random = message.random ?? randomUint32();
      const groupAtInfo = message.groupAtInfo ?? [];
      storage.saveGroup({ ...group, nextSeq: seq + 1, lastMsgTime: seconds(at) });
      return storage.appendMessage({
        id: `group:${groupId}:${seq}`,
        conversation: { type: 'group', groupId },
        from: message.from,
        time: at,
        seq,
        random,
        content: wireToContent(message.msgBody, groupAtInfo),
        cloudCustomData,
        clientSeq: message.clientSeq ?? 0,
        priority: message.priority ?? 'Normal',
        msgBody: message.msgBody,
        groupAtInfo,
        msgKey: '',
      });
    },

    /** Stores a C2C message; the recipient must exist (20003); 12 KB limit (80002). */
    sendC2CMessage(to: string, message: OutgoingMessage): StoredMessage {
      requireUser(message.from, TIM_CODES.C2C_INVALID_USER);
      requireUser(to, TIM_CODES.C2C_INVALID_USER);
      const cloudCustomData = message.cloudCustomData ?? '';
      checkMessageSize(message.msgBody, cloudCustomData);
      const at = now();
      const seq = message.seq ?? storage.nextCounter('c2cSeq');
      const random = message.random ?? randomUint32();
      const msgKey = `${seq}_${random}_${seconds(at)}`;
      return storage.appendMessage({
        id: `c2c:${message.from}:${to}:${seq}:${random}`,
        conversation: { type: 'c2c', from: message.from, to },
        from: message.from,
        time: at,
        seq,
        random,
        content: wireToContent(message.msgBody, []),
        cloudCustomData,
        clientSeq: 0,
        priority: message.priority ?? 'Normal',
        msgBody: message.msgBody,
        groupAtInfo: [],
        msgKey,
      });
    },

    /** A group's messages with seq <= maxSeq, newest first. */
    groupMessages(groupId: string, limit: number, maxSeq?: number): StoredMessage[] {
      requireGroup(groupId);
      return storage.groupMessages(groupId, limit, maxSeq);
    },

    c2cMessages: (a: string, b: string, limit: number, beforeOrd?: number) =>
      storage.c2cMessages(a, b, limit, beforeOrd),
    findC2CMessage: (a: string, b: string, msgKey: string) => storage.findC2CMessage(a, b, msgKey),

    /** Registers an agent and its TIM user; the apiKey is returned once, only its hash kept. */
    registerAgent(
      input: { agentId?: string; userId?: string; nick?: string } = {},
    ): EmulatorAgent & {
      apiKey: string;
    } {
      const agentId = input.agentId ?? `agent_${randomBytes(8).toString('hex')}`;
      if (typeof agentId !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(agentId)) {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          'agentId must be 1-64 letters, digits, dots, dashes or underscores',
        );
      }
      if (storage.getAgent(agentId)) {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          `agent "${agentId}" is already registered; pick another agentId`,
        );
      }
      const userId = input.userId ?? agentId;
      requireValidUserId(userId);
      const user = storage.getUser(userId) ?? newUser(userId, input.nick ?? '');
      if (input.nick !== undefined && user.nick !== input.nick) {
        storage.saveUser({ ...user, nick: input.nick });
      }
      const apiKey = `ak_${randomBytes(32).toString('base64url')}`;
      const agent: StoredAgent = {
        agentId,
        userId,
        claimed: false,
        revoked: false,
        apiKeyHash: hashKey(apiKey),
        createdAt: now(),
      };
      storage.saveAgent(agent);
      return { agentId, userId, claimed: false, revoked: false, apiKey };
    },

    getAgent(agentId: string): EmulatorAgent | undefined {
      const agent = storage.getAgent(agentId);
      return agent && publicAgent(agent);
    },

    /** Marks an agent claimed (idempotent); a revoked agent cannot be claimed. */
    claimAgent(agentId: string): EmulatorAgent {
      const agent = requireAgent(agentId);
      if (agent.revoked) {
        throw new TimCodeError(
          TIM_CODES.PERMISSION_DENIED,
          `agent "${agentId}" is revoked and cannot be claimed; register a new agent`,
        );
      }
      const claimed = { ...agent, claimed: true };
      storage.saveAgent(claimed);
      return publicAgent(claimed);
    },

    /** Revokes an agent (idempotent): the credential exchange refuses it from now on. */
    revokeAgent(agentId: string): EmulatorAgent {
      const revoked = { ...requireAgent(agentId), revoked: true };
      storage.saveAgent(revoked);
      return publicAgent(revoked);
    },

    /** True when `apiKey` is the key of registered agent `agentId` (constant-time compare). */
    verifyAgentKey(agentId: string, apiKey: string): boolean {
      const agent = typeof agentId === 'string' ? storage.getAgent(agentId) : undefined;
      if (!agent || typeof apiKey !== 'string') return false;
      const expected = Buffer.from(agent.apiKeyHash, 'hex');
      const given = Buffer.from(hashKey(apiKey), 'hex');
      return timingSafeEqual(expected, given);
    },
  };

  function requireAgent(agentId: string): StoredAgent {
    const agent = storage.getAgent(agentId);
    if (!agent) {
      throw new TimCodeError(
        TIM_CODES.INVALID_PARAMETERS,
        `agent "${agentId}" is not registered; register it first`,
      );
    }
    return agent;
  }

  function publicAgent(agent: StoredAgent): EmulatorAgent {
    return {
      agentId: agent.agentId,
      userId: agent.userId,
      claimed: agent.claimed,
      revoked: agent.revoked,
    };
  }
}
