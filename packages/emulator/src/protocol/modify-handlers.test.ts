import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'tim-js-sdk';
import { describe, expect, test } from 'vitest';
import { useEmulator } from '../test-support/fixture.js';
import { sendC2C, type TestClient } from '../test-support/sdk-client.js';

const fx = useEmulator();

/**
 * Records `client`'s `MESSAGE_MODIFIED` events from now on; the returned function resolves with
 * the first modified message (past or future) whose text is `text`.
 */
function watchModified(client: TestClient): (text: string) => Promise<Message> {
  const seen: Message[] = [];
  const waiters = new Set<() => void>();
  client.tim.on(client.sdk.EVENT.MESSAGE_MODIFIED, (event: { data: Message[] }) => {
    seen.push(...event.data.map((m) => structuredClone({ ...m })));
    for (const wake of [...waiters]) wake();
  });
  return (text) =>
    new Promise((resolve) => {
      const check = () => {
        const found = seen.find((m) => m.payload?.text === text);
        if (!found) return;
        waiters.delete(check);
        resolve(found);
      };
      waiters.add(check);
      check();
    });
}

/** Resolves with the first `MESSAGE_RECEIVED` message on `client` whose text is `text`. */
function received(client: TestClient, text: string): Promise<Message> {
  return client
    .waitFor('MESSAGE_RECEIVED', (data) =>
      (data as Message[]).some((m) => m.payload?.text === text),
    )
    .then((data) => (data as Message[]).find((m) => m.payload?.text === text) as Message);
}

/** Edits the text of `message` (an SDK Message) through `tim.modifyMessage`. */
async function modifyText(client: TestClient, message: Message, text: string): Promise<Message> {
  message.payload.text = text;
  const answer = await client.tim.modifyMessage(message);
  return answer.data.message as Message;
}

async function lastText(client: TestClient, conversationID: string): Promise<unknown> {
  const answer = await client.tim.getMessageList({ conversationID });
  return (answer.data.messageList as Message[]).at(-1)?.payload?.text;
}

async function sendGroupText(client: TestClient, groupId: string, text: string): Promise<Message> {
  const message = client.tim.createTextMessage({
    to: groupId,
    conversationType: client.sdk.TYPES.CONV_GROUP,
    payload: { text },
  });
  return (await client.tim.sendMessage(message)).data.message as Message;
}

describe('modify_group_msg', () => {
  test.each(['tim-js-sdk', '@tencentcloud/chat'] as const)(
    '(%s) the sender modifies twice; bob gets MESSAGE_MODIFIED each time; history has the final text',
    async (pkg) => {
      const emu = await fx.start();
      emu.createUser('alice');
      emu.createUser('bob');
      const { groupId } = emu.createGroup({ name: 'room', owner: 'alice', members: ['bob'] });
      const alice = await fx.login(emu, 'alice', { pkg });
      const bob = await fx.login(emu, 'bob', { pkg });
      const modifiedTo = watchModified(bob);

      const sent = await sendGroupText(alice, groupId, 'draft');
      const bobsCopy = await received(bob, 'draft');

      const first = await modifyText(alice, sent, 'draft, longer');
      expect(first).toMatchObject({ version: 1, isModified: true });
      expect((await modifiedTo('draft, longer')).ID).toBe(bobsCopy.ID);
      const second = await modifyText(alice, sent, 'draft, longer, final');
      expect(second).toMatchObject({ version: 2 });
      expect(await modifiedTo('draft, longer, final')).toMatchObject({ version: 2 });

      expect(await lastText(alice, `GROUP${groupId}`)).toBe('draft, longer, final');
      expect(await lastText(bob, `GROUP${groupId}`)).toBe('draft, longer, final');
      expect(emu.groupHistory(groupId).at(-1)?.content).toEqual({ text: 'draft, longer, final' });

      bobsCopy.payload.text = 'bob was here';
      await expect(bob.tim.modifyMessage(bobsCopy)).rejects.toMatchObject({ code: 10007 });
      expect(emu.groupHistory(groupId).at(-1)?.content).toEqual({ text: 'draft, longer, final' });
    },
  );

  test('a stale version is refused with the conflict (2480) and the SDK gets the latest message', async () => {
    const emu = await fx.start();
    emu.createUser('alice');
    const { groupId } = emu.createGroup({ name: 'room', owner: 'alice' });
    const alice = await fx.login(emu, 'alice');
    const sent = await sendGroupText(alice, groupId, 'one');
    await modifyText(alice, sent, 'two');
    // As if another client had not seen the modification: the request carries version 0.
    (sent as Message & { version: number }).version = 0;
    sent.payload.text = 'three';
    const refused = await alice.tim.modifyMessage(sent).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 2480 });
    const latest = (refused as { data: { message: Message } }).data.message;
    expect(latest).toMatchObject({ version: 1, payload: { text: 'two' } });
    expect(emu.groupHistory(groupId).at(-1)?.content).toEqual({ text: 'two' });
  });

  test('a modification over 12 KB is refused with 80002 and changes nothing', async () => {
    const emu = await fx.start();
    emu.createUser('alice');
    const { groupId } = emu.createGroup({ name: 'room', owner: 'alice' });
    const alice = await fx.login(emu, 'alice');
    const sent = await sendGroupText(alice, groupId, 'short');
    sent.payload.text = 'x'.repeat(12 * 1024 + 1);
    await expect(alice.tim.modifyMessage(sent)).rejects.toMatchObject({ code: 80002 });
    expect(emu.groupHistory(groupId).at(-1)?.content).toEqual({ text: 'short' });
  });
});

describe('modify_c2c_msg', () => {
  test.each(['tim-js-sdk', '@tencentcloud/chat'] as const)(
    '(%s) the sender modifies twice; bob gets MESSAGE_MODIFIED; both histories have the final text',
    async (pkg) => {
      const emu = await fx.start();
      const alice = await fx.login(emu, 'alice', { pkg });
      const bob = await fx.login(emu, 'bob', { pkg });
      const modifiedTo = watchModified(bob);
      const sent = (await sendC2C(alice, 'bob', 'hello')).data.message as Message;
      const bobsCopy = await received(bob, 'hello');

      await modifyText(alice, sent, 'hello there');
      expect((await modifiedTo('hello there')).ID).toBe(bobsCopy.ID);
      expect(await modifyText(alice, sent, 'hello there, bob')).toMatchObject({ version: 2 });
      expect(await modifiedTo('hello there, bob')).toMatchObject({ version: 2 });

      expect(await lastText(alice, 'C2Cbob')).toBe('hello there, bob');
      expect(await lastText(bob, 'C2Calice')).toBe('hello there, bob');

      bobsCopy.payload.text = 'not yours';
      await expect(bob.tim.modifyMessage(bobsCopy)).rejects.toMatchObject({ code: 10007 });
      expect(emu.c2cHistory('alice', 'bob').at(-1)?.content).toEqual({ text: 'hello there, bob' });
    },
  );
});

test('modified group and C2C messages keep their final text after a restart on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-modify-'));
  try {
    const dbPath = join(dir, 'state.sqlite');
    const first = await fx.start({ dbPath });
    first.createUser('alice');
    first.createUser('bob');
    const { groupId } = first.createGroup({ name: 'room', owner: 'alice', members: ['bob'] });
    const alice = await fx.login(first, 'alice');
    await modifyText(alice, await sendGroupText(alice, groupId, 'g0'), 'g1');
    const c2c = (await sendC2C(alice, 'bob', 'c0')).data.message as Message;
    await modifyText(alice, c2c, 'c1');
    await modifyText(alice, c2c, 'c2');
    await alice.destroy();
    await first.close();

    const second = await fx.start({ dbPath });
    const bob = await fx.login(second, 'bob');
    expect(await lastText(bob, `GROUP${groupId}`)).toBe('g1');
    expect(await lastText(bob, 'C2Calice')).toBe('c2');
    const again = await fx.login(second, 'alice');
    expect(await lastText(again, 'C2Cbob')).toBe('c2');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
