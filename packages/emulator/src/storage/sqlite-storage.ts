import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { GroupType, MessageContent } from '../types.js';
import {
  c2cPairKey,
  type EmulatorStorage,
  type MemberRole,
  type StoredAgent,
  type StoredGroup,
  type StoredMember,
  type StoredMessage,
  type StoredUser,
  type WireAtInfo,
  type WireElement,
} from './storage.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  user_id TEXT PRIMARY KEY,
  nick TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  tiny_id TEXT NOT NULL,
  sigs_expired_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS groups (
  group_id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  introduction TEXT NOT NULL,
  notification TEXT NOT NULL,
  face_url TEXT NOT NULL,
  owner TEXT NOT NULL,
  custom_fields TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  next_seq INTEGER NOT NULL,
  info_seq INTEGER NOT NULL,
  last_info_time INTEGER NOT NULL,
  last_msg_time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
  group_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL,
  join_time INTEGER NOT NULL,
  UNIQUE (group_id, user_id)
);
CREATE INDEX IF NOT EXISTS members_by_user ON members (user_id);
CREATE TABLE IF NOT EXISTS messages (
  ord INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  group_id TEXT,
  pair_key TEXT,
  from_user TEXT NOT NULL,
  to_user TEXT,
  time INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  random INTEGER NOT NULL,
  content TEXT NOT NULL,
  cloud_custom_data TEXT NOT NULL,
  client_seq INTEGER NOT NULL,
  priority TEXT NOT NULL,
  msg_body TEXT NOT NULL,
  group_at_info TEXT NOT NULL,
  msg_key TEXT NOT NULL,
  client_time INTEGER NOT NULL,
  sender_tiny_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_group ON messages (group_id, seq);
CREATE INDEX IF NOT EXISTS messages_by_pair ON messages (pair_key, ord);
CREATE TABLE IF NOT EXISTS agents (
  agent_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  claimed INTEGER NOT NULL,
  revoked INTEGER NOT NULL,
  api_key_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS read_marks (
  user_id TEXT NOT NULL,
  conversation TEXT NOT NULL,
  mark INTEGER NOT NULL,
  PRIMARY KEY (user_id, conversation)
);
`;

interface UserRow {
  user_id: string;
  nick: string;
  created_at: number;
  tiny_id: string;
  sigs_expired_at: number;
}

interface GroupRow {
  group_id: string;
  type: string;
  name: string;
  introduction: string;
  notification: string;
  face_url: string;
  owner: string;
  custom_fields: string;
  created_at: number;
  next_seq: number;
  info_seq: number;
  last_info_time: number;
  last_msg_time: number;
}

interface MemberRow {
  group_id: string;
  user_id: string;
  role: string;
  join_time: number;
}

interface MessageRow {
  ord: number;
  id: string;
  group_id: string | null;
  from_user: string;
  to_user: string | null;
  time: number;
  seq: number;
  random: number;
  content: string;
  cloud_custom_data: string;
  client_seq: number;
  priority: string;
  msg_body: string;
  group_at_info: string;
  msg_key: string;
  client_time: number;
  sender_tiny_id: string;
  version: number;
}

interface AgentRow {
  agent_id: string;
  user_id: string;
  claimed: number;
  revoked: number;
  api_key_hash: string;
  created_at: number;
}

const toUser = (r: UserRow): StoredUser => ({
  userId: r.user_id,
  nick: r.nick,
  createdAt: r.created_at,
  tinyId: r.tiny_id,
  sigsExpiredAtSeconds: r.sigs_expired_at,
});

const toGroup = (r: GroupRow): StoredGroup => ({
  groupId: r.group_id,
  type: r.type as GroupType,
  name: r.name,
  introduction: r.introduction,
  notification: r.notification,
  faceUrl: r.face_url,
  owner: r.owner,
  customFields: JSON.parse(r.custom_fields) as Record<string, string>,
  createdAt: r.created_at,
  nextSeq: r.next_seq,
  infoSeq: r.info_seq,
  lastInfoTime: r.last_info_time,
  lastMsgTime: r.last_msg_time,
});

const toMember = (r: MemberRow): StoredMember => ({
  groupId: r.group_id,
  userId: r.user_id,
  role: r.role as MemberRole,
  joinTime: r.join_time,
});

const toMessage = (r: MessageRow): StoredMessage => ({
  ord: r.ord,
  id: r.id,
  conversation:
    r.group_id !== null
      ? { type: 'group', groupId: r.group_id }
      : { type: 'c2c', from: r.from_user, to: r.to_user ?? '' },
  from: r.from_user,
  time: r.time,
  seq: r.seq,
  random: r.random,
  content: JSON.parse(r.content) as MessageContent,
  cloudCustomData: r.cloud_custom_data,
  clientSeq: r.client_seq,
  priority: r.priority,
  msgBody: JSON.parse(r.msg_body) as WireElement[],
  groupAtInfo: JSON.parse(r.group_at_info) as WireAtInfo[],
  msgKey: r.msg_key,
  clientTime: r.client_time,
  senderTinyId: r.sender_tiny_id,
  version: r.version,
});

const toAgent = (r: AgentRow): StoredAgent => ({
  agentId: r.agent_id,
  userId: r.user_id,
  claimed: r.claimed === 1,
  revoked: r.revoked === 1,
  apiKeyHash: r.api_key_hash,
  createdAt: r.created_at,
});

/**
 * Creates the database file, when it does not exist yet, readable and writable by its owner
 * only: it holds apiKey hashes. SQLite gives its -wal and -shm files the same mode.
 */
function createPrivateFile(path: string): void {
  if (path === '' || path === ':memory:' || path.startsWith('file:')) return;
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * Files written before messages kept what the SDK builds their ID from get the columns, filled
 * with the best values they have: the store second and the sender's TinyId.
 */
function addMessageIdColumns(db: Database.Database): void {
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(messages)').all();
  if (columns.some((c) => c.name === 'client_time')) return;
  db.transaction(() => {
    db.exec(`ALTER TABLE messages ADD COLUMN client_time INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE messages ADD COLUMN sender_tiny_id TEXT NOT NULL DEFAULT '';
      UPDATE messages SET client_time = time / 1000,
        sender_tiny_id = COALESCE((SELECT tiny_id FROM users WHERE user_id = from_user), '');`);
  })();
}

/** Adds `messages.version` (TIM's `MsgVersion`, 0 until a modification) to new and old files. */
function addMessageVersionColumn(db: Database.Database): void {
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(messages)').all();
  if (columns.some((c) => c.name === 'version')) return;
  db.exec('ALTER TABLE messages ADD COLUMN version INTEGER NOT NULL DEFAULT 0');
}

/**
 * State in a SQLite file (better-sqlite3, WAL): users, groups with their custom fields,
 * members, messages and agents survive a restart on the same file.
 */
export function createSqliteStorage(path: string): EmulatorStorage {
  createPrivateFile(path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  addMessageIdColumns(db);
  addMessageVersionColumn(db);

  const q = {
    getUser: db.prepare<[string], UserRow>('SELECT * FROM users WHERE user_id = ?'),
    saveUser: db.prepare(
      `INSERT INTO users (user_id, nick, created_at, tiny_id, sigs_expired_at)
       VALUES (@user_id, @nick, @created_at, @tiny_id, @sigs_expired_at)
       ON CONFLICT (user_id) DO UPDATE SET nick = excluded.nick,
         tiny_id = excluded.tiny_id, sigs_expired_at = excluded.sigs_expired_at`,
    ),
    listUsers: db.prepare<[], UserRow>('SELECT * FROM users ORDER BY rowid'),
    getGroup: db.prepare<[string], GroupRow>('SELECT * FROM groups WHERE group_id = ?'),
    saveGroup: db.prepare(
      `INSERT INTO groups (group_id, type, name, introduction, notification, face_url, owner,
         custom_fields, created_at, next_seq, info_seq, last_info_time, last_msg_time)
       VALUES (@group_id, @type, @name, @introduction, @notification, @face_url, @owner,
         @custom_fields, @created_at, @next_seq, @info_seq, @last_info_time, @last_msg_time)
       ON CONFLICT (group_id) DO UPDATE SET type = excluded.type, name = excluded.name,
         introduction = excluded.introduction, notification = excluded.notification,
         face_url = excluded.face_url, owner = excluded.owner,
         custom_fields = excluded.custom_fields, next_seq = excluded.next_seq,
         info_seq = excluded.info_seq, last_info_time = excluded.last_info_time,
         last_msg_time = excluded.last_msg_time`,
    ),
    deleteGroup: db.prepare('DELETE FROM groups WHERE group_id = ?'),
    deleteGroupMembers: db.prepare('DELETE FROM members WHERE group_id = ?'),
    deleteGroupMessages: db.prepare('DELETE FROM messages WHERE group_id = ?'),
    listGroups: db.prepare<[], GroupRow>('SELECT * FROM groups ORDER BY rowid'),
    listMembers: db.prepare<[string], MemberRow>(
      'SELECT * FROM members WHERE group_id = ? ORDER BY rowid',
    ),
    getMember: db.prepare<[string, string], MemberRow>(
      'SELECT * FROM members WHERE group_id = ? AND user_id = ?',
    ),
    saveMember: db.prepare(
      `INSERT INTO members (group_id, user_id, role, join_time)
       VALUES (@group_id, @user_id, @role, @join_time)
       ON CONFLICT (group_id, user_id) DO UPDATE SET role = excluded.role,
         join_time = excluded.join_time`,
    ),
    deleteMember: db.prepare('DELETE FROM members WHERE group_id = ? AND user_id = ?'),
    groupIdsOf: db.prepare<[string], { group_id: string }>(
      'SELECT group_id FROM members WHERE user_id = ? ORDER BY rowid',
    ),
    appendMessage: db.prepare(
      `INSERT INTO messages (id, group_id, pair_key, from_user, to_user, time, seq, random,
         content, cloud_custom_data, client_seq, priority, msg_body, group_at_info, msg_key,
         client_time, sender_tiny_id)
       VALUES (@id, @group_id, @pair_key, @from_user, @to_user, @time, @seq, @random,
         @content, @cloud_custom_data, @client_seq, @priority, @msg_body, @group_at_info,
         @msg_key, @client_time, @sender_tiny_id)`,
    ),
    groupMessages: db.prepare<[string, number, number], MessageRow>(
      'SELECT * FROM messages WHERE group_id = ? AND seq <= ? ORDER BY seq DESC LIMIT ?',
    ),
    c2cMessages: db.prepare<[string, number, number], MessageRow>(
      'SELECT * FROM messages WHERE pair_key = ? AND ord < ? ORDER BY ord DESC LIMIT ?',
    ),
    reviseMessage: db.prepare(
      `UPDATE messages SET msg_body = @msg_body, content = @content,
         cloud_custom_data = @cloud_custom_data, version = @version WHERE ord = @ord`,
    ),
    messageByOrd: db.prepare<[number], MessageRow>('SELECT * FROM messages WHERE ord = ?'),
    lastC2COf: db.prepare<[string, string], MessageRow>(
      `SELECT * FROM messages WHERE ord IN (SELECT MAX(ord) FROM messages
         WHERE pair_key IS NOT NULL AND (from_user = ? OR to_user = ?) GROUP BY pair_key)
       ORDER BY ord DESC`,
    ),
    getReadMark: db.prepare<[string, string], { mark: number }>(
      'SELECT mark FROM read_marks WHERE user_id = ? AND conversation = ?',
    ),
    saveReadMark: db.prepare(
      `INSERT INTO read_marks (user_id, conversation, mark) VALUES (?, ?, ?)
       ON CONFLICT (user_id, conversation) DO UPDATE SET mark = excluded.mark`,
    ),
    findC2C: db.prepare<[string, string], MessageRow>(
      'SELECT * FROM messages WHERE pair_key = ? AND msg_key = ?',
    ),
    getAgent: db.prepare<[string], AgentRow>('SELECT * FROM agents WHERE agent_id = ?'),
    saveAgent: db.prepare(
      `INSERT INTO agents (agent_id, user_id, claimed, revoked, api_key_hash, created_at)
       VALUES (@agent_id, @user_id, @claimed, @revoked, @api_key_hash, @created_at)
       ON CONFLICT (agent_id) DO UPDATE SET user_id = excluded.user_id,
         claimed = excluded.claimed, revoked = excluded.revoked,
         api_key_hash = excluded.api_key_hash`,
    ),
    nextCounter: db.prepare<[string], { value: number }>(
      `INSERT INTO counters (name, value) VALUES (?, 1)
       ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`,
    ),
  };

  const deleteGroup = db.transaction((groupId: string) => {
    q.deleteGroup.run(groupId);
    q.deleteGroupMembers.run(groupId);
    q.deleteGroupMessages.run(groupId);
  });

  return {
    getUser: (userId) => {
      const row = q.getUser.get(userId);
      return row && toUser(row);
    },
    saveUser: (u) => {
      q.saveUser.run({
        user_id: u.userId,
        nick: u.nick,
        created_at: u.createdAt,
        tiny_id: u.tinyId,
        sigs_expired_at: u.sigsExpiredAtSeconds,
      });
    },
    listUsers: () => q.listUsers.all().map(toUser),

    getGroup: (groupId) => {
      const row = q.getGroup.get(groupId);
      return row && toGroup(row);
    },
    saveGroup: (g) => {
      q.saveGroup.run({
        group_id: g.groupId,
        type: g.type,
        name: g.name,
        introduction: g.introduction,
        notification: g.notification,
        face_url: g.faceUrl,
        owner: g.owner,
        custom_fields: JSON.stringify(g.customFields),
        created_at: g.createdAt,
        next_seq: g.nextSeq,
        info_seq: g.infoSeq,
        last_info_time: g.lastInfoTime,
        last_msg_time: g.lastMsgTime,
      });
    },
    deleteGroup: (groupId) => deleteGroup(groupId),
    listGroups: () => q.listGroups.all().map(toGroup),

    listMembers: (groupId) => q.listMembers.all(groupId).map(toMember),
    getMember: (groupId, userId) => {
      const row = q.getMember.get(groupId, userId);
      return row && toMember(row);
    },
    saveMember: (m) => {
      q.saveMember.run({
        group_id: m.groupId,
        user_id: m.userId,
        role: m.role,
        join_time: m.joinTime,
      });
    },
    deleteMember: (groupId, userId) => {
      q.deleteMember.run(groupId, userId);
    },
    groupIdsOf: (userId) => q.groupIdsOf.all(userId).map((r) => r.group_id),

    appendMessage: (m) => {
      const c = m.conversation;
      const result = q.appendMessage.run({
        id: m.id,
        group_id: c.type === 'group' ? c.groupId : null,
        pair_key: c.type === 'c2c' ? c2cPairKey(c.from, c.to) : null,
        from_user: m.from,
        to_user: c.type === 'c2c' ? c.to : null,
        time: m.time,
        seq: m.seq,
        random: m.random,
        content: JSON.stringify(m.content),
        cloud_custom_data: m.cloudCustomData,
        client_seq: m.clientSeq,
        priority: m.priority,
        msg_body: JSON.stringify(m.msgBody),
        group_at_info: JSON.stringify(m.groupAtInfo),
        msg_key: m.msgKey,
        client_time: m.clientTime,
        sender_tiny_id: m.senderTinyId,
      });
      return { ...structuredClone(m), ord: Number(result.lastInsertRowid) };
    },
    groupMessages: (groupId, limit, maxSeq) =>
      q.groupMessages.all(groupId, maxSeq ?? Number.MAX_SAFE_INTEGER, limit).map(toMessage),
    c2cMessages: (userA, userB, limit, beforeOrd) =>
      q.c2cMessages
        .all(c2cPairKey(userA, userB), beforeOrd ?? Number.MAX_SAFE_INTEGER, limit)
        .map(toMessage),
    reviseMessage: (ord, r) => {
      q.reviseMessage.run({
        ord,
        msg_body: JSON.stringify(r.msgBody),
        content: JSON.stringify(r.content),
        cloud_custom_data: r.cloudCustomData,
        version: r.version,
      });
      const row = q.messageByOrd.get(ord);
      return row && toMessage(row);
    },
    lastC2CMessagesOf: (userId) => q.lastC2COf.all(userId, userId).map(toMessage),
    getReadMark: (userId, key) => q.getReadMark.get(userId, key)?.mark ?? 0,
    saveReadMark: (userId, key, mark) => {
      q.saveReadMark.run(userId, key, mark);
    },
    findC2CMessage: (userA, userB, msgKey) => {
      const row = q.findC2C.get(c2cPairKey(userA, userB), msgKey);
      return row && toMessage(row);
    },

    getAgent: (agentId) => {
      const row = q.getAgent.get(agentId);
      return row && toAgent(row);
    },
    saveAgent: (a) => {
      q.saveAgent.run({
        agent_id: a.agentId,
        user_id: a.userId,
        claimed: a.claimed ? 1 : 0,
        revoked: a.revoked ? 1 : 0,
        api_key_hash: a.apiKeyHash,
        created_at: a.createdAt,
      });
    },

    nextCounter: (name) => {
      const row = q.nextCounter.get(name);
      if (!row) throw new Error(`counter ${name} did not advance`);
      return row.value;
    },

    transaction: (fn) => db.transaction(fn)(),

    close: () => {
      if (db.open) db.close();
    },
  };
}
