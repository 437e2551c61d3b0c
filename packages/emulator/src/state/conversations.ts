import type { StoredGroup, StoredMessage } from '../storage/storage.js';
import { type StateContext, seconds } from './state-context.js';

/**
 * The most messages counted for one conversation's unread count (TIM's clients show "99+"
 * long before this).
 */
export const MAX_UNREAD_COUNTED = 999;

/** One entry of a user's conversation list: a C2C peer or a group, with its last message. */
export type Conversation =
  | { type: 'c2c'; peer: string; lastMessage: StoredMessage; unreadCount: number }
  | { type: 'group'; group: StoredGroup; lastMessage: StoredMessage; unreadCount: number };

/** The read-mark key of a C2C conversation with `peer`. */
const c2cKey = (peer: string): string => `c2c:${peer}`;
/** The read-mark key of a group conversation. */
const groupKey = (groupId: string): string => `group:${groupId}`;

/** Users' conversation lists (TIM's `recentcontact`) and how far they have read each. */

/** Creates the conversations part of the state. */
export function createConversationState(ctx: StateContext) {
  const { storage } = ctx;

  function c2cUnread(userId: string, peer: string): number {
    const mark = storage.getReadMark(userId, c2cKey(peer));
    let count = 0;
    for (const message of storage.c2cMessages(userId, peer, MAX_UNREAD_COUNTED)) {
      if (seconds(message.time) <= mark) break;
      if (message.from === peer) count += 1;
    }
    return count;
  }

  function groupUnread(userId: string, groupId: string): number {
    const mark = storage.getReadMark(userId, groupKey(groupId));
    let count = 0;
    for (const message of storage.groupMessages(groupId, MAX_UNREAD_COUNTED)) {
      if (message.seq <= mark) break;
      if (message.from !== userId) count += 1;
    }
    return count;
  }

  return {
    /**
     * `userId`'s conversations, newest last message first: one per C2C peer it has messages
     * with, and one per group it is a member of that has messages; each with its last message
     * and the count of others' messages after the user's read mark.
     */
    conversationsOf(userId: string): Conversation[] {
      const c2c: Conversation[] = storage.lastC2CMessagesOf(userId).map((lastMessage) => {
        const c = lastMessage.conversation;
        const peer = c.type === 'c2c' && c.from === userId ? c.to : lastMessage.from;
        return { type: 'c2c', peer, lastMessage, unreadCount: c2cUnread(userId, peer) };
      });
      const groups: Conversation[] = storage.groupIdsOf(userId).flatMap((groupId) => {
        const group = storage.getGroup(groupId);
        const [lastMessage] = storage.groupMessages(groupId, 1);
        if (!group || !lastMessage) return [];
        return [{ type: 'group', group, lastMessage, unreadCount: groupUnread(userId, groupId) }];
      });
      return [...c2c, ...groups].sort((a, b) => b.lastMessage.time - a.lastMessage.time);
    },

    /** Records that `userId` read `peer`'s messages up to `timeSeconds` (never moves back). */
    markC2CRead(userId: string, peer: string, timeSeconds: number): void {
      const key = c2cKey(peer);
      if (timeSeconds > storage.getReadMark(userId, key)) {
        storage.saveReadMark(userId, key, timeSeconds);
      }
    },

    /** Until when (seconds; 0 for never) `userId` read `peer`'s messages. */
    c2cReadTime: (userId: string, peer: string): number =>
      storage.getReadMark(userId, c2cKey(peer)),

    /** Records that `userId` read group `groupId` up to sequence `seq` (never moves back). */
    markGroupRead(userId: string, groupId: string, seq: number): void {
      const key = groupKey(groupId);
      if (seq > storage.getReadMark(userId, key)) storage.saveReadMark(userId, key, seq);
    },

    /** Unread counts of `userId`'s C2C conversations that have any, by peer. */
    c2cUnreadCounts(userId: string): { peer: string; unreadCount: number }[] {
      return storage
        .lastC2CMessagesOf(userId)
        .map((m) => {
          const c = m.conversation;
          const peer = c.type === 'c2c' && c.from === userId ? c.to : m.from;
          return { peer, unreadCount: c2cUnread(userId, peer) };
        })
        .filter((entry) => entry.unreadCount > 0);
    },
  };
}
