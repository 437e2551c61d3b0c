import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'tim-js-sdk';
import { afterEach, expect, test } from 'vitest';
import { useEmulator } from '../test-support/fixture.js';
import { sendC2C, type TestClient } from '../test-support/sdk-client.js';

const fx = useEmulator();
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const HOUR = 3_600_000;

function sendGroupText(client: TestClient, groupId: string, text: string) {
  return client.tim.sendMessage(
    client.tim.createTextMessage({
      to: groupId,
      conversationType: client.sdk.TYPES.CONV_GROUP,
      payload: { text },
    }),
  );
}

async function historyIds(client: TestClient, conversationID: string): Promise<string[]> {
  const history = await client.tim.getMessageList({ conversationID });
  return (history.data.messageList as Message[]).map((m) => m.ID);
}

async function receivedId(client: TestClient, text: string): Promise<string> {
  const data = await client.waitFor('MESSAGE_RECEIVED', (d) =>
    (d as Message[]).some((m) => m.payload?.text === text),
  );
  const message = (data as Message[]).find((m) => m.payload?.text === text);
  return message?.ID ?? '';
}

test("a message has one ID: the sender's, the receiver's, in history on both sides, after a restart", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emu-ids-'));
  dirs.push(dir);
  const dbPath = join(dir, 'state.sqlite');
  // The SDK takes its clock from the login's TimeStamp: each login below runs an hour later, so
  // an SDK that dated a message itself (instead of reading MsgClientTime) would give another ID.
  let clock = 1_800_000_000_000;
  const now = () => clock;
  const first = await fx.start({ dbPath, now });
  const alice = await fx.login(first, 'alice');
  clock += HOUR;
  const bob = await fx.login(first, 'bob');
  const created = await alice.tim.createGroup({ type: alice.sdk.TYPES.GRP_PUBLIC, name: 'ids' });
  const groupId: string = created.data.group.groupID;
  await bob.tim.joinGroup({ groupID: groupId });

  const group = await sendGroupText(alice, groupId, 'group hello');
  const groupId1 = group.data.message.ID as string;
  const c2c = await sendC2C(alice, 'bob', 'c2c hello');
  const c2cId = c2c.data.message.ID as string;
  expect(groupId1).toMatch(/^144115\d+-\d+-\d+$/);
  expect(await receivedId(bob, 'group hello')).toBe(groupId1);
  expect(await receivedId(bob, 'c2c hello')).toBe(c2cId);

  await alice.destroy();
  await bob.destroy();
  await first.close();
  clock += HOUR;
  const second = await fx.start({ dbPath, now });
  const alice2 = await fx.login(second, 'alice');
  expect(await historyIds(alice2, `GROUP${groupId}`)).toContain(groupId1);
  expect(await historyIds(alice2, 'C2Cbob')).toEqual([c2cId]);
  clock += HOUR;
  const bob2 = await fx.login(second, 'bob');
  expect(await historyIds(bob2, `GROUP${groupId}`)).toContain(groupId1);
  expect(await historyIds(bob2, 'C2Calice')).toEqual([c2cId]);
});

test('a C2C message sent while the receiver reconnects (openim.getmsg sync) keeps its ID', async () => {
  let clock = 1_800_000_000_000;
  const emu = await fx.start({ now: () => clock });
  const alice = await fx.login(emu, 'alice');
  clock += HOUR;
  const bob = await fx.login(emu, 'bob');
  emu.dropConnections('bob');
  const sent = await sendC2C(alice, 'bob', 'while you were away');
  const synced = await receivedId(bob, 'while you were away');
  expect(synced).toBe(sent.data.message.ID);
});
