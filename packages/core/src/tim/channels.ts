import { TIM_LIMITS } from '@clawlink/tim-facts';
import { TimError } from '../errors/tim-error.js';
import type { SdkCustomField, SdkGroup, SdkGroupMember } from './sdk-types.js';
import type { TimClient } from './tim-client.js';
import { requireMaxBytes, requireText, utf8Bytes } from './tim-limits.js';

/**
 * The group custom field that holds a channel's skill (what the channel is for, as agents read
 * it). On a real TIM app, enable this key under "Group custom fields" in the IM console first;
 * the emulator accepts any key.
 */
export const SKILL_FIELD_KEY = 'clawlink_skill';

/** TIM group types, with TIM's current names (`Work` is the SDK's `Private`, `Meeting` its `ChatRoom`). */
export type ChannelType = 'Public' | 'Work' | 'Meeting' | 'AVChatRoom' | 'Community';

/** The account's role in a channel. */
export type ChannelRole = 'owner' | 'admin' | 'member';

/** A channel as listed (no custom fields). */
export interface ChannelSummary {
  id: string;
  name: string;
  type: ChannelType;
  /** TIM's group introduction. */
  description: string;
  owner?: string;
  memberCount?: number;
  /** This account's role, when it is a member. */
  role?: ChannelRole;
}

/** A channel's full profile. */
export interface Channel extends ChannelSummary {
  /** The {@link SKILL_FIELD_KEY} custom field, when set. */
  skill?: string;
  /** The group custom fields TIM returned (see {@link getChannel} on which ones). */
  customFields: Record<string, string>;
  /** When the channel was created, in milliseconds since the epoch. */
  createdAt?: number;
}

/** A member of a channel. */
export interface ChannelMember {
  userId: string;
  role: ChannelRole | 'custom';
  /** The member's group name card, when set. */
  nameCard?: string;
  /** When the member joined, in milliseconds since the epoch. */
  joinedAt?: number;
}

/** What {@link joinChannel} achieved. */
export type JoinStatus = 'joined' | 'already_member' | 'pending_approval';

/** Options of {@link createChannel}. */
export interface CreateChannelOptions {
  /** Up to 30 bytes. */
  name: string;
  /** The group introduction; up to 240 bytes. */
  description?: string;
  /** Stored in the {@link SKILL_FIELD_KEY} custom field; up to 512 bytes. */
  skill?: string;
  /**
   * `Public` (default): anyone may find it and join at once (clawlink creates Public channels
   * with free joining); `Work`: members invite others; `Meeting`: anyone may join and leave.
   */
  type?: 'Public' | 'Work' | 'Meeting';
  /** More group custom fields (key: letters, digits, `_`, up to 16 bytes; value up to 512 bytes). */
  customFields?: Record<string, string>;
  /** A custom channel id (printable ASCII, up to 48 bytes, not starting with `@TGS#`); TIM assigns one otherwise. */
  id?: string;
}

const TYPE_FROM_SDK: Record<string, ChannelType> = {
  Public: 'Public',
  Private: 'Work',
  Work: 'Work',
  ChatRoom: 'Meeting',
  Meeting: 'Meeting',
  AVChatRoom: 'AVChatRoom',
  Community: 'Community',
};
const TYPE_TO_SDK: Record<NonNullable<CreateChannelOptions['type']>, string> = {
  Public: 'Public',
  Work: 'Private',
  Meeting: 'ChatRoom',
};
const ROLE_FROM_SDK: Record<string, ChannelRole | 'custom'> = {
  Owner: 'owner',
  Admin: 'admin',
  Member: 'member',
  Custom: 'custom',
};
/** Extra profile fields `getGroupList` should return. */
const LIST_FILTER = ['ownerID', 'memberNum', 'introduction'];
const CUSTOM_KEY = /^[A-Za-z0-9_]+$/;

/** The channels (groups) this account has joined. */
export async function listChannels(client: TimClient): Promise<ChannelSummary[]> {
  return client.call('listChannels', async (tim) => {
    const { data } = await tim.getGroupList({ groupProfileFilter: LIST_FILTER });
    return (data.groupList ?? []).map(toSummary);
  });
}

/**
 * Finds channels by `keyword`. tim-js-sdk 2.27.6 can only look a group up by its exact id
 * (`searchGroupByID`), so this combines two searches: an exact-id lookup (finds any public
 * channel, joined or not) and a case-insensitive match of the keyword against the id, name and
 * description of the channels this account has joined. The exact-id match, if any, comes first.
 */
export async function searchChannels(
  client: TimClient,
  keyword: string,
): Promise<ChannelSummary[]> {
  const query = requireText('searchChannels', 'keyword', keyword).trim();
  const exact = await client
    .call('searchChannels', async (tim) => toSummary((await tim.searchGroupByID(query)).data.group))
    .catch((error: unknown) => {
      // "No such group" or "not a group id" just means no exact match.
      if (
        TimError.isInstance(error) &&
        (error.code === 'CHANNEL_NOT_FOUND' || error.code === 'INVALID_ARGUMENT')
      ) {
        return undefined;
      }
      throw error;
    });
  const needle = query.toLowerCase();
  const joined = (await listChannels(client)).filter((channel) =>
    [channel.id, channel.name, channel.description].some((text) =>
      text.toLowerCase().includes(needle),
    ),
  );
  const results = exact ? [exact, ...joined.filter((channel) => channel.id !== exact.id)] : joined;
  if (exact) {
    const mine = joined.find((channel) => channel.id === exact.id);
    if (mine?.role) results[0] = { ...exact, role: mine.role };
  }
  return results;
}

/**
 * A channel's profile. TIM returns only the custom fields asked for: the skill field always,
 * plus `customFieldKeys`.
 */
export async function getChannel(
  client: TimClient,
  channelId: string,
  options: { customFieldKeys?: string[] } = {},
): Promise<Channel> {
  return (await readChannel(client, channelId, options.customFieldKeys ?? [])).channel;
}

/**
 * A channel's profile (as {@link getChannel}) and the sequence its next message will get:
 * where reading its history back from the newest starts. One profile read for both, so a
 * catch-up over many channels reads each profile once (the SDK allows 20 a second). @internal
 */
export async function getChannelAndNextSequence(
  client: TimClient,
  channelId: string,
): Promise<{ channel: Channel; nextSequence: number | undefined }> {
  const { channel, group } = await readChannel(client, channelId, []);
  return { channel, nextSequence: nextSequenceOf(group) };
}

/** The sequence a group's next message will get, when its profile reports a valid one. @internal */
export function nextSequenceOf(group: SdkGroup): number | undefined {
  const next = Number(group.nextMessageSeq);
  return Number.isInteger(next) && next >= 1 ? next : undefined;
}

async function readChannel(
  client: TimClient,
  channelId: string,
  customFieldKeys: readonly string[],
): Promise<{ channel: Channel; group: SdkGroup }> {
  const id = requireText('getChannel', 'channelId', channelId);
  const keys = [...new Set([SKILL_FIELD_KEY, ...customFieldKeys])];
  for (const key of keys) checkCustomKey('getChannel', key);
  return client.call('getChannel', async (tim) => {
    const { data } = await tim.getGroupProfile({ groupID: id, groupCustomFieldFilter: keys });
    return { channel: toChannel(data.group), group: data.group };
  });
}

/**
 * Joins a channel. `Public` channels may need the owner's approval (`pending_approval`);
 * `Work` channels cannot be joined on request (PERMISSION_DENIED: a member must invite).
 */
export async function joinChannel(client: TimClient, channelId: string): Promise<JoinStatus> {
  const id = requireText('joinChannel', 'channelId', channelId);
  return client
    .call('joinChannel', async (tim) => {
      const { data } = await tim.joinGroup({ groupID: id });
      if (data.status === 'WaitAdminApproval') return 'pending_approval' as const;
      if (data.status === 'AlreadyInGroup') return 'already_member' as const;
      return 'joined' as const;
    })
    .catch((error: unknown) => {
      if (TimError.isInstance(error) && error.timCode === 10013) return 'already_member' as const;
      throw error;
    });
}

/** Leaves a channel. The owner of a Public channel cannot leave it (PERMISSION_DENIED). */
export async function leaveChannel(client: TimClient, channelId: string): Promise<void> {
  const id = requireText('leaveChannel', 'channelId', channelId);
  await client.call('leaveChannel', (tim) => tim.quitGroup(id));
}

/**
 * Members of a joined channel, a page at a time (`count` default and maximum 100, from
 * `offset`). The SDK answers only for channels this account has joined: for any other it
 * fails with PERMISSION_DENIED.
 */
export async function getMembers(
  client: TimClient,
  channelId: string,
  options: { offset?: number; count?: number } = {},
): Promise<ChannelMember[]> {
  const id = requireText('getMembers', 'channelId', channelId);
  const count = options.count ?? TIM_LIMITS.memberPage;
  const offset = options.offset ?? 0;
  if (!Number.isInteger(count) || count < 1 || count > TIM_LIMITS.memberPage) {
    throw new TimError(
      'INVALID_ARGUMENT',
      `getMembers failed: count must be 1 to ${TIM_LIMITS.memberPage} (got ${count}).`,
      {
        operation: 'getMembers',
      },
    );
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new TimError(
      'INVALID_ARGUMENT',
      `getMembers failed: offset must be 0 or more (got ${offset}).`,
      {
        operation: 'getMembers',
      },
    );
  }
  const joined = await listChannels(client);
  if (!joined.some((channel) => channel.id === id)) {
    throw new TimError(
      'PERMISSION_DENIED',
      `getMembers failed: this account is not a member of channel '${id}'; join it first (joinChannel).`,
      { operation: 'getMembers' },
    );
  }
  return client.call('getMembers', async (tim) => {
    const { data } = await tim.getGroupMemberList({ groupID: id, count, offset });
    return (data.memberList ?? []).map(toMember);
  });
}

/** Creates a channel owned by this account and returns its profile. */
export async function createChannel(
  client: TimClient,
  options: CreateChannelOptions,
): Promise<Channel> {
  const op = 'createChannel';
  const name = requireText(op, 'name', options.name);
  requireMaxBytes(op, 'the name', name, TIM_LIMITS.groupNameBytes, 'use a shorter name');
  const description = options.description ?? '';
  requireMaxBytes(
    op,
    'the description',
    description,
    TIM_LIMITS.groupIntroductionBytes,
    'shorten it',
  );
  const type = options.type ?? 'Public';
  if (!(type in TYPE_TO_SDK)) {
    throw new TimError(
      'INVALID_ARGUMENT',
      `${op} failed: type must be 'Public', 'Work' or 'Meeting' (got '${type}').`,
      {
        operation: op,
      },
    );
  }
  if (options.id !== undefined) checkGroupId(op, options.id);
  const fields: Record<string, string> = { ...(options.customFields ?? {}) };
  if (options.skill !== undefined) fields[SKILL_FIELD_KEY] = options.skill;
  const entries = Object.entries(fields);
  if (entries.length > TIM_LIMITS.customFieldCount) {
    throw new TimError(
      'INVALID_ARGUMENT',
      `${op} failed: ${entries.length} custom fields given (skill included); TIM allows ${TIM_LIMITS.customFieldCount}.`,
      { operation: op },
    );
  }
  for (const [key, value] of entries) checkCustomField(op, key, value);
  const customField: SdkCustomField[] = entries.map(([key, value]) => ({ key, value }));
  const groupId = await client.call(op, async (tim) => {
    const { data } = await tim.createGroup({
      name,
      type: TYPE_TO_SDK[type],
      ...(options.id === undefined ? {} : { groupID: options.id }),
      ...(description ? { introduction: description } : {}),
      ...(type === 'Public' ? { joinOption: 'FreeAccess' } : {}),
      ...(customField.length > 0 ? { groupCustomField: customField } : {}),
    });
    return data.group.groupID;
  });
  return getChannel(client, groupId, { customFieldKeys: Object.keys(fields) });
}

/** One group custom field of the channel, or undefined when it is not set. */
export async function getCustomField(
  client: TimClient,
  channelId: string,
  key: string,
): Promise<string | undefined> {
  checkCustomKey('getCustomField', key);
  return (await getChannel(client, channelId, { customFieldKeys: [key] })).customFields[key];
}

/**
 * Sets one group custom field (key: letters, digits, `_`, up to 16 bytes; value up to 512
 * bytes; `''` clears it). Public channels let only the owner and admins change it
 * (PERMISSION_DENIED otherwise). `operation` names the caller's operation in errors.
 */
export async function setCustomField(
  client: TimClient,
  channelId: string,
  key: string,
  value: string,
  { operation = 'setCustomField' }: { operation?: string } = {},
): Promise<void> {
  const id = requireText(operation, 'channelId', channelId);
  checkCustomField(operation, key, value);
  await client.call(operation, (tim) =>
    tim.updateGroupProfile({ groupID: id, groupCustomField: [{ key, value }] }),
  );
}

function checkCustomKey(op: string, key: string): void {
  requireText(op, 'a custom field key', key);
  if (!CUSTOM_KEY.test(key)) {
    throw new TimError(
      'INVALID_ARGUMENT',
      `${op} failed: custom field key '${key}' may contain only letters, digits and '_'.`,
      { operation: op },
    );
  }
  if (utf8Bytes(key) > TIM_LIMITS.customFieldKeyBytes) {
    throw new TimError(
      'INVALID_ARGUMENT',
      `${op} failed: custom field key '${key}' is over TIM's ${TIM_LIMITS.customFieldKeyBytes}-byte limit; use a shorter key.`,
      { operation: op },
    );
  }
}

function checkCustomField(op: string, key: string, value: unknown): void {
  checkCustomKey(op, key);
  if (typeof value !== 'string') {
    throw new TimError(
      'INVALID_ARGUMENT',
      `${op} failed: the value of custom field '${key}' must be a string.`,
      {
        operation: op,
      },
    );
  }
  requireMaxBytes(
    op,
    `the value of '${key}'`,
    value,
    TIM_LIMITS.customFieldValueBytes,
    'store less, or a reference to it',
  );
}

function checkGroupId(op: string, id: string): void {
  requireText(op, 'id', id);
  if (
    !/^[\x20-\x7e]+$/.test(id) ||
    id.startsWith('@TGS#') ||
    utf8Bytes(id) > TIM_LIMITS.groupIdBytes
  ) {
    throw new TimError(
      'INVALID_ARGUMENT',
      `${op} failed: channel id '${id}' must be printable ASCII, at most ${TIM_LIMITS.groupIdBytes} bytes, not starting with '@TGS#'.`,
      { operation: op },
    );
  }
}

function toSummary(group: SdkGroup): ChannelSummary {
  const summary: ChannelSummary = {
    id: group.groupID,
    name: group.name ?? '',
    type: TYPE_FROM_SDK[group.type] ?? (group.type as ChannelType),
    description: group.introduction ?? '',
  };
  if (group.ownerID) summary.owner = group.ownerID;
  const memberCount = group.memberCount ?? group.memberNum;
  if (typeof memberCount === 'number' && memberCount > 0) summary.memberCount = memberCount;
  const role = group.selfInfo?.role ? ROLE_FROM_SDK[group.selfInfo.role] : undefined;
  if (role && role !== 'custom') summary.role = role;
  return summary;
}

function toChannel(group: SdkGroup): Channel {
  const customFields: Record<string, string> = {};
  for (const field of group.groupCustomField ?? []) {
    if (typeof field?.key === 'string' && typeof field.value === 'string')
      customFields[field.key] = field.value;
  }
  const channel: Channel = { ...toSummary(group), customFields };
  const skill = customFields[SKILL_FIELD_KEY];
  if (skill) channel.skill = skill;
  const created = Number(group.createTime);
  if (Number.isFinite(created) && created > 0) channel.createdAt = created * 1000;
  return channel;
}

function toMember(member: SdkGroupMember): ChannelMember {
  const result: ChannelMember = {
    userId: member.userID,
    role: ROLE_FROM_SDK[member.role ?? ''] ?? 'member',
  };
  if (member.nameCard) result.nameCard = member.nameCard;
  if (typeof member.joinTime === 'number' && member.joinTime > 0)
    result.joinedAt = member.joinTime * 1000;
  return result;
}
