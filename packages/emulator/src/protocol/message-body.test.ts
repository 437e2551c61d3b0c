import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, test } from 'vitest';
import { useEmulator } from '../test-support/fixture.js';
import { type RawSocket, rawLogin, useRawSockets } from '../test-support/raw-socket.js';

const fx = useEmulator();
const rawSocket = useRawSockets();
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The JSON text of arrays nested `depth` deep around "x" (JSON.stringify would overflow). */
const nested = (depth: number): string => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;

async function setup() {
  const emu = await fx.start();
  emu.createUser('alice');
  emu.createUser('bob');
  const group = emu.createGroup({ name: 'g', owner: 'alice', members: ['bob'] });
  const raw = await rawSocket(`${emu.wsUrl}/binfo?instanceid=raw-body`);
  const a2 = await rawLogin(raw, emu, 'alice');
  /** Sends one custom element whose MsgContent is `contentJson`, to the group or to bob. */
  const send = (contentJson: string, to: 'group' | 'bob' = 'group') => {
    const body = `[{"MsgType":"TIMCustomElem","MsgContent":${contentJson}}]`;
    return to === 'group'
      ? raw.requestText(
          'group_open_http_svc.send_group_msg',
          `{"GroupId":${JSON.stringify(group.groupId)},"Random":1,"MsgBody":${body}}`,
          { a2 },
        )
      : raw.requestText('openim.sendmsg', `{"To_Account":"bob","MsgRandom":1,"MsgBody":${body}}`, {
          a2,
        });
  };
  return { emu, raw, a2, groupId: group.groupId, send };
}

const history = (raw: RawSocket, a2: string, groupId: string) =>
  raw.request('group_open_http_svc.group_msg_get', { GroupId: groupId, ReqMsgNumber: 20 }, { a2 });

test('the 12 KB limit counts every field of an element, not only its strings', async () => {
  const { emu, send, groupId } = await setup();
  const big = JSON.stringify({
    Data: 'd',
    Extra: { nested: { blob: 'y'.repeat(2 * 1024 * 1024) } },
  });
  expect(await send(big)).toMatchObject({ ErrorCode: 80002 });
  expect(await send(big, 'bob')).toMatchObject({ ErrorCode: 80002 });
  const numbers = JSON.stringify({ Data: 'd', Numbers: Array(13_000).fill(1) });
  expect(await send(numbers)).toMatchObject({ ErrorCode: 80002 });
  expect(emu.groupHistory(groupId)).toEqual([]);
  expect(emu.getGroup(groupId)?.nextSeq).toBe(1);
  expect(emu.c2cHistory('alice', 'bob')).toEqual([]);
  // Small structured content still passes, and 12 KB of plain text is still 12 KB.
  const small = JSON.stringify({ Data: 'd', Extra: { k: [1, 2, true] } });
  expect(await send(small)).toMatchObject({ ErrorCode: 0 });
  expect(await send(JSON.stringify({ Data: 'x'.repeat(12 * 1024) }))).toMatchObject({
    ErrorCode: 0,
  });
});

test('a deeply nested body is refused with 10004 at the door, and the history stays readable', async () => {
  const { emu, raw, a2, send, groupId } = await setup();
  for (const depth of [40, 5_000, 50_000]) {
    const deep = `{"Data":"d","Deep":${nested(depth)}}`;
    expect(await send(deep)).toMatchObject({ ErrorCode: 10004 });
    expect(await send(deep, 'bob')).toMatchObject({ ErrorCode: 10004 });
  }
  expect(await send(`{"Data":"ok","Shallow":${nested(20)}}`)).toMatchObject({ ErrorCode: 0 });
  const read = await history(raw, a2, groupId);
  expect(read).toMatchObject({ ErrorCode: 0, RspMsgList: [{ MsgSeq: 1 }] });
  expect(emu.groupHistory(groupId).map((m) => m.seq)).toEqual([1]);
});

test('a stored message that cannot be read (a damaged file) is an internal error: HTTP 500 and 10002, never 409', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emu-poison-'));
  dirs.push(dir);
  const dbPath = join(dir, 'state.sqlite');
  const first = await fx.start({ dbPath });
  first.createUser('alice');
  const { groupId } = first.createGroup({ name: 'g', owner: 'alice' });
  first.postGroupMessage({ groupId, from: 'alice', content: { text: 'soon unreadable' } });
  await first.close();
  // A row the storage cannot read back (a damaged file): every read of the history throws.
  const db = new Database(dbPath);
  db.prepare('UPDATE messages SET msg_body = ?').run('[{"MsgType":');
  db.close();

  const emu = await fx.start({ dbPath });
  const answer = await fetch(
    `${emu.adminUrl}/admin/groups/${encodeURIComponent(groupId)}/messages`,
  );
  expect(answer.status).toBe(500);
  expect(await answer.json()).toMatchObject({ error: { code: 'internal' } });
  const raw = await rawSocket(`${emu.wsUrl}/binfo?instanceid=raw-poison`);
  const a2 = await rawLogin(raw, emu, 'alice');
  expect(await history(raw, a2, groupId)).toMatchObject({ ErrorCode: 10002 });
  expect(fx.logs.some((l) => l.startsWith('http: internal error on GET /admin/groups/'))).toBe(
    true,
  );
});
