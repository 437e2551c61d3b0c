import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createEmulatorState } from '../emulator-state.js';
import { createSqliteStorage } from '../storage/sqlite-storage.js';
import type { EmulatorStorage } from '../storage/storage.js';
import { codeOf, newTestState as newState } from '../test-support/test-state.js';
import { MAX_CONTENT_DEPTH, messageContentBytes } from './messages.js';

describe('group messages', () => {
  test('admin posts need no membership; history pages newest first; removing the owner is refused', () => {
    const { state } = newState();
    state.createUser('alice');
    state.createUser('bob');
    const group = state.createGroup({ name: 'g', owner: 'alice' });
    const body = [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'hi' } }];
    state.sendGroupMessage(group.groupId, { from: 'bob', msgBody: body }, false);
    expect(
      codeOf(() => state.sendGroupMessage(group.groupId, { from: 'bob', msgBody: body }, true)),
    ).toBe(10007);
    state.sendGroupMessage(group.groupId, { from: 'alice', msgBody: body }, true);
    expect(state.groupMessages(group.groupId, 10).map((m) => [m.seq, m.from])).toEqual([
      [2, 'alice'],
      [1, 'bob'],
    ]);
    expect(codeOf(() => state.removeMembers(group.groupId, ['alice']))).toBe(10007);
  });
});

describe('group message writes are one transaction (SQLite file)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A SQLite storage whose `method` throws once, as a crash between two writes would stop them. */
  function failingOnce(path: string, method: 'saveGroup' | 'appendMessage'): EmulatorStorage {
    const storage = createSqliteStorage(path);
    let armed = false;
    return new Proxy(storage, {
      get(target, key, receiver) {
        if (key === 'arm') return () => (armed = true);
        const value = Reflect.get(target, key, receiver);
        if (key !== method || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (armed) {
            armed = false;
            throw new Error(`injected failure in ${method}`);
          }
          return value.apply(target, args);
        };
      },
    });
  }

  test.each(['saveGroup', 'appendMessage'] as const)(
    'a throw in %s leaves neither the sequence nor a row behind',
    (method) => {
      const dir = mkdtempSync(join(tmpdir(), 'emu-atomic-'));
      dirs.push(dir);
      const path = join(dir, 'state.sqlite');
      const storage = failingOnce(path, method);
      const state = createEmulatorState({ storage, now: () => 1_700_000_000_000 });
      state.createUser('alice');
      const { groupId } = state.createGroup({ name: 'g', owner: 'alice' });
      const body = [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'hi' } }];
      (storage as unknown as { arm(): void }).arm();
      expect(() => state.sendGroupMessage(groupId, { from: 'alice', msgBody: body }, true)).toThrow(
        /injected failure/,
      );
      storage.close();

      const reopened = createSqliteStorage(path);
      try {
        expect(reopened.getGroup(groupId)?.nextSeq).toBe(1);
        expect(reopened.groupMessages(groupId, 10)).toEqual([]);
        const again = createEmulatorState({ storage: reopened, now: () => 1_700_000_000_000 });
        expect(again.sendGroupMessage(groupId, { from: 'alice', msgBody: body }, true).seq).toBe(1);
      } finally {
        reopened.close();
      }
    },
  );
});

describe('messageContentBytes', () => {
  const elem = (content: Record<string, unknown>) => [
    { MsgType: 'TIMCustomElem', MsgContent: content },
  ];

  test('strings count their UTF-8 bytes; other values their JSON text; nested keys count too', () => {
    expect(messageContentBytes(elem({ Text: 'x'.repeat(12 * 1024) }))).toBe(12 * 1024);
    expect(messageContentBytes(elem({ Data: 'é' }), 'cc')).toBe(4);
    expect(messageContentBytes(elem({ N: 12345, B: true, Z: null }))).toBe(5 + 4 + 4);
    // {"k":[1,"ab"]}: the object and the array (2 each), key "k", 1 and "ab".
    expect(messageContentBytes(elem({ O: { k: [1, 'ab'] } }))).toBe(2 + 1 + 2 + 1 + 2);
  });

  test(`content nested more than ${MAX_CONTENT_DEPTH} levels is refused with 10004, without recursion`, () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(codeOf(() => messageContentBytes(elem({ Deep: deep })))).toBe(10004);
    let edge: unknown = 'x';
    for (let i = 0; i < MAX_CONTENT_DEPTH; i += 1) edge = [edge];
    expect(messageContentBytes(elem({ Edge: edge }))).toBe(1 + 2 * MAX_CONTENT_DEPTH);
  });
});
