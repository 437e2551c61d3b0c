import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createEmulatorState } from '../emulator-state.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { createSqliteStorage } from '../storage/sqlite-storage.js';
import type { EmulatorStorage } from '../storage/storage.js';

const text = (Text: string) => [{ MsgType: 'TIMTextElem', MsgContent: { Text } }];
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function sqlitePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'emu-conversations-'));
  dirs.push(dir);
  return join(dir, 'state.sqlite');
}

interface Opened {
  storage: EmulatorStorage;
  /** Closes the storage and opens it again (memory: the same storage). */
  reopen(): EmulatorStorage;
}

const storages: [string, () => Opened][] = [
  [
    'memory',
    () => {
      const storage = createMemoryStorage();
      return { storage, reopen: () => storage };
    },
  ],
  [
    'SQLite',
    () => {
      const path = sqlitePath();
      const storage = createSqliteStorage(path);
      return {
        storage,
        reopen: () => {
          storage.close();
          return createSqliteStorage(path);
        },
      };
    },
  ],
];

describe.each(storages)('conversations (%s)', (_name, open) => {
  test('one entry per peer and group with messages, newest first; read marks persist', () => {
    const { storage, reopen } = open();
    let clock = 1_700_000_000_000;
    const state = createEmulatorState({ storage, now: () => clock });
    for (const user of ['alice', 'bob', 'carol']) state.createUser(user);
    const { groupId } = state.createGroup({ name: 'g', owner: 'alice', members: ['bob'] });
    state.createGroup({ name: 'empty', owner: 'alice', members: ['bob'] });
    state.sendC2CMessage('bob', { from: 'carol', msgBody: text('c1') });
    clock += 1000;
    state.sendGroupMessage(groupId, { from: 'alice', msgBody: text('g1') }, true);
    clock += 1000;
    state.sendC2CMessage('bob', { from: 'alice', msgBody: text('a1') });
    clock += 1000;
    state.sendC2CMessage('alice', { from: 'bob', msgBody: text('b1') });
    clock += 1000;
    state.sendC2CMessage('bob', { from: 'carol', msgBody: text('c2') });

    const list = state.conversationsOf('bob');
    expect(
      list.map((c) => [
        c.type === 'c2c' ? c.peer : c.group.name,
        c.lastMessage.content,
        c.unreadCount,
      ]),
    ).toEqual([
      ['carol', { text: 'c2' }, 2],
      ['alice', { text: 'b1' }, 1],
      ['g', { text: 'g1' }, 1],
    ]);
    expect(state.c2cUnreadCounts('bob')).toEqual([
      { peer: 'carol', unreadCount: 2 },
      { peer: 'alice', unreadCount: 1 },
    ]);

    state.markC2CRead('bob', 'carol', Math.floor(clock / 1000));
    state.markC2CRead('bob', 'carol', 1); // never moves back
    state.markGroupRead('bob', groupId, 1);
    const after = reopen();
    const again = createEmulatorState({ storage: after, now: () => clock });
    expect(again.c2cUnreadCounts('bob')).toEqual([{ peer: 'alice', unreadCount: 1 }]);
    expect(again.conversationsOf('bob').map((c) => c.unreadCount)).toEqual([0, 1, 0]);
    after.close();
  });
});
