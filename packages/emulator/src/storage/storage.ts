import type { EmulatorAgent, EmulatorMessage, GroupType } from '../types.js';

/** A user as stored. */
export interface StoredUser {
  userId: string;
  nick: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** TIM's numeric user handle, as a decimal string. */
  tinyId: string;
  /** UserSigs issued at or before this second are refused (`expireUserSig`); 0 when never set. */
  sigsExpiredAtSeconds: number;
}

/** A group as stored (members are stored apart). */
export interface StoredGroup {
  groupId: string;
  type: GroupType;
  name: string;
  introduction: string;
  notification: string;
  faceUrl: string;
  owner: string;
  customFields: Record<string, string>;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** The sequence the next group message gets (first message: 1). */
  nextSeq: number;
  /** Bumped on every profile change. */
  infoSeq: number;
  /** Seconds since the epoch of the last profile change. */
  lastInfoTime: number;
  /** Seconds since the epoch of the last message; 0 before the first. */
  lastMsgTime: number;
}

/** A group member's role, with TIM's names. */
export type MemberRole = 'Owner' | 'Admin' | 'Member';

/** A membership. */
export interface StoredMember {
  groupId: string;
  userId: string;
  role: MemberRole;
  /** Seconds since the epoch. */
  joinTime: number;
}

/** One element of a TIM message body as it travels on the wire. */
export interface WireElement {
  MsgType: string;
  MsgContent: Record<string, unknown>;
}

/** One `GroupAtInfo` entry on the wire. */
export interface WireAtInfo {
  GroupAtAllFlag: number;
  GroupAt_Account?: string;
}

/** A stored message: the public view plus what the wire needs to replay it faithfully. */
export interface StoredMessage extends EmulatorMessage {
  /** Storage order (increasing); assigned by {@link EmulatorStorage.appendMessage}. */
  ord: number;
  /** The sender's ClientSeq (group) or 0. */
  clientSeq: number;
  /** `Normal`, `High`, `Low` or `Lowest`. */
  priority: string;
  /** The message body exactly as sent. */
  msgBody: WireElement[];
  groupAtInfo: WireAtInfo[];
  /** C2C message key `<seq>_<random>_<time>`; empty for group messages. */
  msgKey: string;
  /**
   * The sender's `MsgClientTime` (seconds; the post time for admin posts). With
   * {@link StoredMessage.senderTinyId} and `random` it makes the SDK's message ID.
   */
  clientTime: number;
  /** The sender's TinyId when the message was stored. */
  senderTinyId: string;
  /**
   * TIM's `MsgVersion`: +1 on every modification (`modify_*_msg`); absent or 0 as sent. The
   * storages store 0 for a new message.
   */
  version?: number;
}

/** What a modification replaces in a stored message. */
export type MessageRevision = Pick<StoredMessage, 'msgBody' | 'content' | 'cloudCustomData'> & {
  version: number;
};

/** An agent as stored: never the apiKey itself, only its hash. */
export interface StoredAgent extends EmulatorAgent {
  /** SHA-256 of the apiKey, hex. */
  apiKeyHash: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/**
 * Where the emulator keeps its state. Synchronous on purpose: both implementations (memory and
 * better-sqlite3) are synchronous, and so the protocol never interleaves half-done updates.
 */
export interface EmulatorStorage {
  getUser(userId: string): StoredUser | undefined;
  saveUser(user: StoredUser): void;
  listUsers(): StoredUser[];

  getGroup(groupId: string): StoredGroup | undefined;
  saveGroup(group: StoredGroup): void;
  /** Deletes a group with its members and messages. */
  deleteGroup(groupId: string): void;
  listGroups(): StoredGroup[];

  /** Members in join order. */
  listMembers(groupId: string): StoredMember[];
  getMember(groupId: string, userId: string): StoredMember | undefined;
  saveMember(member: StoredMember): void;
  deleteMember(groupId: string, userId: string): void;
  /** Ids of the groups `userId` is a member of, in join order. */
  groupIdsOf(userId: string): string[];

  /** Stores a message and returns it with its `ord` (and `version` 0). */
  appendMessage(message: Omit<StoredMessage, 'ord'>): StoredMessage;
  /** Replaces the body of the message with this `ord`; returns it revised, or undefined. */
  reviseMessage(ord: number, revision: MessageRevision): StoredMessage | undefined;
  /** The newest message of every C2C conversation `userId` is in, newest first. */
  lastC2CMessagesOf(userId: string): StoredMessage[];
  /**
   * How far `userId` has read a conversation (`conversationKey`): a C2C peer's messages up to
   * this time (seconds), a group's up to this seq; 0 when never reported.
   */
  getReadMark(userId: string, conversationKey: string): number;
  saveReadMark(userId: string, conversationKey: string, mark: number): void;
  /** A group's messages with `seq <= maxSeq` (all when omitted), newest first, at most `limit`. */
  groupMessages(groupId: string, limit: number, maxSeq?: number): StoredMessage[];
  /** Messages between two users with `ord < beforeOrd` (all when omitted), newest first. */
  c2cMessages(userA: string, userB: string, limit: number, beforeOrd?: number): StoredMessage[];
  /** The C2C message between two users with this key. */
  findC2CMessage(userA: string, userB: string, msgKey: string): StoredMessage | undefined;

  getAgent(agentId: string): StoredAgent | undefined;
  saveAgent(agent: StoredAgent): void;

  /** Returns the next value (1, 2, ...) of a named persistent counter. */
  nextCounter(name: string): number;

  /**
   * Runs `fn`'s writes as one unit and returns its result. SQLite: one transaction, so a throw
   * or a crash inside leaves none of them. Memory: `fn` runs as is (nothing survives a crash).
   */
  transaction<T>(fn: () => T): T;

  close(): void;
}

/** The conversation key of a C2C pair, independent of direction. */
export function c2cPairKey(userA: string, userB: string): string {
  return userA < userB ? `${userA}\u0000${userB}` : `${userB}\u0000${userA}`;
}
