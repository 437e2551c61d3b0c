import {
  c2cPairKey,
  type EmulatorStorage,
  type StoredAgent,
  type StoredGroup,
  type StoredMember,
  type StoredMessage,
  type StoredUser,
} from './storage.js';

/** Copies plain data so callers never share objects with the store. */
function copy<T>(value: T): T {
  return structuredClone(value);
}

/** State in memory: gone when the emulator closes. */
export function createMemoryStorage(): EmulatorStorage {
  const users = new Map<string, StoredUser>();
  const groups = new Map<string, StoredGroup>();
  const members = new Map<string, Map<string, StoredMember>>();
  const groupMessages = new Map<string, StoredMessage[]>();
  const c2cMessages = new Map<string, StoredMessage[]>();
  const agents = new Map<string, StoredAgent>();
  const counters = new Map<string, number>();
  const readMarks = new Map<string, number>();
  let ord = 0;

  const byOrd = (wanted: number): StoredMessage | undefined => {
    for (const list of [...groupMessages.values(), ...c2cMessages.values()]) {
      const found = list.find((m) => m.ord === wanted);
      if (found) return found;
    }
    return undefined;
  };

  return {
    getUser: (userId) => {
      const user = users.get(userId);
      return user && copy(user);
    },
    saveUser: (user) => {
      users.set(user.userId, copy(user));
    },
    listUsers: () => [...users.values()].map(copy),

    getGroup: (groupId) => {
      const group = groups.get(groupId);
      return group && copy(group);
    },
    saveGroup: (group) => {
      groups.set(group.groupId, copy(group));
    },
    deleteGroup: (groupId) => {
      groups.delete(groupId);
      members.delete(groupId);
      groupMessages.delete(groupId);
    },
    listGroups: () => [...groups.values()].map(copy),

    listMembers: (groupId) => [...(members.get(groupId)?.values() ?? [])].map(copy),
    getMember: (groupId, userId) => {
      const member = members.get(groupId)?.get(userId);
      return member && copy(member);
    },
    saveMember: (member) => {
      let byUser = members.get(member.groupId);
      if (!byUser) {
        byUser = new Map();
        members.set(member.groupId, byUser);
      }
      byUser.set(member.userId, copy(member));
    },
    deleteMember: (groupId, userId) => {
      members.get(groupId)?.delete(userId);
    },
    groupIdsOf: (userId) =>
      [...members.entries()].filter(([, byUser]) => byUser.has(userId)).map(([id]) => id),

    appendMessage: (message) => {
      ord += 1;
      const stored: StoredMessage = { ...copy(message), ord, version: message.version ?? 0 };
      const conversation = message.conversation;
      const [map, key] =
        conversation.type === 'group'
          ? [groupMessages, conversation.groupId]
          : [c2cMessages, c2cPairKey(conversation.from, conversation.to)];
      let list = map.get(key);
      if (!list) {
        list = [];
        map.set(key, list);
      }
      list.push(stored);
      return copy(stored);
    },
    groupMessages: (groupId, limit, maxSeq) =>
      (groupMessages.get(groupId) ?? [])
        .filter((m) => maxSeq === undefined || m.seq <= maxSeq)
        .sort((a, b) => b.seq - a.seq)
        .slice(0, limit)
        .map(copy),
    c2cMessages: (userA, userB, limit, beforeOrd) =>
      (c2cMessages.get(c2cPairKey(userA, userB)) ?? [])
        .filter((m) => beforeOrd === undefined || m.ord < beforeOrd)
        .reverse()
        .slice(0, limit)
        .map(copy),
    reviseMessage: (wanted, revision) => {
      const found = byOrd(wanted);
      if (!found) return undefined;
      Object.assign(found, copy(revision));
      return copy(found);
    },
    lastC2CMessagesOf: (userId) =>
      [...c2cMessages.values()]
        .flatMap((list) => {
          const last = list.at(-1);
          const c = last?.conversation;
          return last && c?.type === 'c2c' && (c.from === userId || c.to === userId) ? [last] : [];
        })
        .sort((a, b) => b.ord - a.ord)
        .map(copy),
    getReadMark: (userId, key) => readMarks.get(`${userId}\u0000${key}`) ?? 0,
    saveReadMark: (userId, key, mark) => {
      readMarks.set(`${userId}\u0000${key}`, mark);
    },
    findC2CMessage: (userA, userB, msgKey) => {
      const found = (c2cMessages.get(c2cPairKey(userA, userB)) ?? []).find(
        (m) => m.msgKey === msgKey,
      );
      return found && copy(found);
    },

    getAgent: (agentId) => {
      const agent = agents.get(agentId);
      return agent && copy(agent);
    },
    saveAgent: (agent) => {
      agents.set(agent.agentId, copy(agent));
    },

    nextCounter: (name) => {
      const next = (counters.get(name) ?? 0) + 1;
      counters.set(name, next);
      return next;
    },

    transaction: (fn) => fn(),

    close: () => {},
  };
}
