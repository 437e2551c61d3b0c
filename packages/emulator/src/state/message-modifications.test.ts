import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createEmulatorState } from '../emulator-state.js';
import { createSqliteStorage } from '../storage/sqlite-storage.js';
import { codeOf, newTestState } from '../test-support/test-state.js';
import { ModifyConflictError } from './message-modifications.js';

const text = (Text: string) => [{ MsgType: 'TIMTextElem', MsgContent: { Text } }];
const seconds = (ms: number) => Math.floor(ms / 1000);

test('group: only the sender, the stored version, modifiable elements; 20026 for no message', () => {
  const { state } = newTestState();
  state.createUser('alice');
  state.createUser('bob');
  const { groupId } = state.createGroup({ name: 'g', owner: 'alice', members: ['bob'] });
  const sent = state.sendGroupMessage(groupId, { from: 'alice', msgBody: text('v0') }, true);

  const v1 = state.modifyGroupMessage('alice', groupId, sent.seq, {
    version: 0,
    msgBody: text('v1'),
  });
  expect(v1).toMatchObject({ version: 1, content: { text: 'v1' }, seq: sent.seq });
  expect(codeOf(() => state.modifyGroupMessage('bob', groupId, sent.seq, { version: 1 }))).toBe(
    10007,
  );
  let conflict: unknown;
  try {
    state.modifyGroupMessage('alice', groupId, sent.seq, { version: 0, msgBody: text('late') });
  } catch (error) {
    conflict = error;
  }
  expect(conflict).toBeInstanceOf(ModifyConflictError);
  expect((conflict as ModifyConflictError).code).toBe(20027);
  expect((conflict as ModifyConflictError).current).toMatchObject({ version: 1 });
  const image = [{ MsgType: 'TIMImageElem', MsgContent: { UUID: 'x' } }];
  expect(
    codeOf(() =>
      state.modifyGroupMessage('alice', groupId, sent.seq, { version: 1, msgBody: image }),
    ),
  ).toBe(10004);
  expect(codeOf(() => state.modifyGroupMessage('alice', groupId, 99, { version: 0 }))).toBe(20026);
  expect(
    state.modifyGroupMessage('alice', groupId, sent.seq, {
      version: 1,
      cloudCustomData: '{"a":1}',
    }),
  ).toMatchObject({ version: 2, content: { text: 'v1' }, cloudCustomData: '{"a":1}' });
});

test('C2C: addressed by seq/random/time; the version survives a SQLite reopen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emu-modify-'));
  try {
    const path = join(dir, 'state.sqlite');
    const now = () => 1_700_000_000_000;
    const state = createEmulatorState({ storage: createSqliteStorage(path), now });
    state.createUser('alice');
    state.createUser('bob');
    const sent = state.sendC2CMessage('bob', { from: 'alice', msgBody: text('hi'), seq: 7 });
    const address = {
      from: 'alice',
      to: 'bob',
      seq: 7,
      random: sent.random,
      time: seconds(sent.time),
    };
    expect(
      codeOf(() =>
        state.modifyC2CMessage('alice', { ...address, random: sent.random + 1 }, { version: 0 }),
      ),
    ).toBe(20026);
    expect(codeOf(() => state.modifyC2CMessage('bob', address, { version: 0 }))).toBe(10007);
    const big = text('x'.repeat(12 * 1024 + 1));
    expect(
      codeOf(() => state.modifyC2CMessage('alice', address, { version: 0, msgBody: big })),
    ).toBe(80002);
    state.modifyC2CMessage('alice', address, { version: 0, msgBody: text('hi!') });

    const reopened = createSqliteStorage(path);
    try {
      const again = createEmulatorState({ storage: reopened, now });
      expect(again.c2cMessages('alice', 'bob', 10)[0]).toMatchObject({
        version: 1,
        content: { text: 'hi!' },
        msgBody: text('hi!'),
      });
    } finally {
      reopened.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
