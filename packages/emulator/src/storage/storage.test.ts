import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { createMemoryStorage } from './memory-storage.js';
import { createSqliteStorage } from './sqlite-storage.js';
import type { EmulatorStorage, StoredGroup, StoredMessage } from './storage.js';

const dirs: string[] = [];
const opened: EmulatorStorage[] = [];
afterEach(() => {
  for (const storage of opened.splice(0)) storage.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function sqlitePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-emulator-'));
  dirs.push(dir);
  return join(dir, 'state.sqlite');
}

const group = (groupId: string): StoredGroup => ({
  groupId,
  type: 'Public',
  name: 'room',
  introduction: 'intro',
  notification: '',
  faceUrl: '',
  owner: 'alice',
  customFields: { k: 'v' },
  createdAt: 1_000,
  nextSeq: 1,
  infoSeq: 1,
  lastInfoTime: 1,
  lastMsgTime: 0,
});

const groupMessage = (groupId: string, seq: number): Omit<StoredMessage, 'ord'> => ({
  id: `group:${groupId}:${seq}`,
  conversation: { type: 'group', groupId },
  from: 'alice',
  time: 1_000 * seq,
  seq,
  random: seq,
  content: { text: `m${seq}` },
  cloudCustomData: '',
  clientSeq: 0,
  priority: 'Normal',
  msgBody: [{ MsgType: 'TIMTextElem', MsgContent: { Text: `m${seq}` } }],
  groupAtInfo: [],
  msgKey: '',
  clientTime: seq,
  senderTinyId: '7',
});

const c2cMessage = (from: string, to: string, seq: number): Omit<StoredMessage, 'ord'> => ({
  ...groupMessage('-', seq),
  id: `c2c:${from}:${to}:${seq}:${seq}`,
  conversation: { type: 'c2c', from, to },
  from,
  msgKey: `${seq}_${seq}_${seq}`,
});

const implementations: [string, () => EmulatorStorage][] = [
  ['memory', () => createMemoryStorage()],
  ['sqlite', () => createSqliteStorage(sqlitePath())],
];

describe.each(implementations)('%s storage', (_name, open) => {
  const storage = () => {
    const s = open();
    opened.push(s);
    return s;
  };

  test('users, groups and members round-trip; a deleted group takes its members along', () => {
    const s = storage();
    s.saveUser({ userId: 'alice', nick: 'A', createdAt: 1, tinyId: '7', sigsExpiredAtSeconds: 0 });
    s.saveUser({ userId: 'alice', nick: 'A2', createdAt: 1, tinyId: '7', sigsExpiredAtSeconds: 9 });
    expect(s.getUser('alice')).toEqual({
      userId: 'alice',
      nick: 'A2',
      createdAt: 1,
      tinyId: '7',
      sigsExpiredAtSeconds: 9,
    });
    s.saveGroup(group('g1'));
    s.saveMember({ groupId: 'g1', userId: 'alice', role: 'Owner', joinTime: 1 });
    s.saveMember({ groupId: 'g1', userId: 'bob', role: 'Member', joinTime: 2 });
    expect(s.getGroup('g1')).toEqual(group('g1'));
    expect(s.listMembers('g1').map((m) => m.userId)).toEqual(['alice', 'bob']);
    expect(s.groupIdsOf('bob')).toEqual(['g1']);
    s.deleteMember('g1', 'bob');
    expect(s.groupIdsOf('bob')).toEqual([]);
    s.deleteGroup('g1');
    expect(s.getGroup('g1')).toBeUndefined();
    expect(s.listMembers('g1')).toEqual([]);
  });

  test('group history pages by seq, newest first; C2C by ord for either direction', () => {
    const s = storage();
    for (let seq = 1; seq <= 5; seq += 1) s.appendMessage(groupMessage('g1', seq));
    expect(s.groupMessages('g1', 2).map((m) => m.seq)).toEqual([5, 4]);
    expect(s.groupMessages('g1', 10, 3).map((m) => m.seq)).toEqual([3, 2, 1]);
    const first = s.appendMessage(c2cMessage('alice', 'bob', 1));
    s.appendMessage(c2cMessage('bob', 'alice', 2));
    s.appendMessage(c2cMessage('alice', 'carol', 3));
    expect(s.c2cMessages('bob', 'alice', 10).map((m) => m.seq)).toEqual([2, 1]);
    const second = s.findC2CMessage('alice', 'bob', '2_2_2');
    expect(second?.conversation).toEqual({ type: 'c2c', from: 'bob', to: 'alice' });
    expect(s.c2cMessages('alice', 'bob', 10, second?.ord).map((m) => m.id)).toEqual([first.id]);
  });

  test('agents and counters', () => {
    const s = storage();
    expect([s.nextCounter('x'), s.nextCounter('x'), s.nextCounter('y')]).toEqual([1, 2, 1]);
    const agent = {
      agentId: 'a1',
      userId: 'u1',
      claimed: false,
      revoked: false,
      apiKeyHash: 'ab',
      createdAt: 5,
    };
    s.saveAgent(agent);
    s.saveAgent({ ...agent, claimed: true });
    expect(s.getAgent('a1')).toEqual({ ...agent, claimed: true });
  });
});

test('a SQLite file keeps everything across a reopen', () => {
  const path = sqlitePath();
  const first = createSqliteStorage(path);
  first.saveUser({ userId: 'alice', nick: '', createdAt: 1, tinyId: '7', sigsExpiredAtSeconds: 0 });
  first.saveGroup(group('g1'));
  first.appendMessage(groupMessage('g1', 1));
  first.nextCounter('tinyId');
  first.close();
  const second = createSqliteStorage(path);
  opened.push(second);
  expect(second.getUser('alice')?.tinyId).toBe('7');
  expect(second.getGroup('g1')?.customFields).toEqual({ k: 'v' });
  expect(second.groupMessages('g1', 10).map((m) => m.content)).toEqual([{ text: 'm1' }]);
  expect(second.nextCounter('tinyId')).toBe(2);
});

test("a SQLite file from before message IDs were kept gets the sender's TinyId and the store second", () => {
  const path = sqlitePath();
  const first = createSqliteStorage(path);
  first.saveUser({ userId: 'alice', nick: '', createdAt: 1, tinyId: '7', sigsExpiredAtSeconds: 0 });
  first.appendMessage({ ...groupMessage('g1', 3), clientTime: 99, senderTinyId: '' });
  first.close();
  const old = new Database(path);
  old.exec(
    'ALTER TABLE messages DROP COLUMN client_time; ALTER TABLE messages DROP COLUMN sender_tiny_id',
  );
  old.close();
  const second = createSqliteStorage(path);
  opened.push(second);
  expect(second.groupMessages('g1', 10)).toMatchObject([
    { seq: 3, clientTime: 3, senderTinyId: '7' },
  ]);
});

test('a new SQLite file and its -wal/-shm are readable by their owner only (they hold apiKey hashes)', () => {
  const path = sqlitePath();
  const storage = createSqliteStorage(path);
  opened.push(storage);
  storage.saveAgent({
    agentId: 'a1',
    userId: 'u1',
    claimed: false,
    revoked: false,
    apiKeyHash: 'ab',
    createdAt: 5,
  });
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    expect({ file, mode: statSync(file).mode & 0o777 }).toEqual({ file, mode: 0o600 });
  }
});
