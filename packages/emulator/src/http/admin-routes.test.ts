import { verifyUserSig } from '@clawlink/usersig';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../index.js';
import { createClient, type TestClient } from '../test-support/sdk-client.js';
import type { Emulator, EmulatorGroup, EmulatorMessage, EmulatorUser } from '../types.js';
import { type ApiClient, createApiClient } from './http-test-client.js';

const SDK_APP_ID = 1400000088;
const SECRET_KEY = 'admin-test-secret';

let emulator: Emulator;
let api: ApiClient;
const clients: TestClient[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  api = createApiClient(emulator.adminUrl);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.destroy()));
  await emulator?.close();
});

async function createUser(userId: string, nick?: string): Promise<EmulatorUser> {
  const answer = await api.call<{ user: EmulatorUser }>('POST', '/admin/users', { userId, nick });
  expect(answer.status).toBe(201);
  return answer.body.user;
}

async function createGroup(body: Record<string, unknown>): Promise<EmulatorGroup> {
  const answer = await api.call<{ group: EmulatorGroup }>('POST', '/admin/groups', body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body.group;
}

function expectBadRequest(
  answer: { status: number; body: { error?: { code: string; message: string } } },
  pattern: RegExp,
) {
  expect(answer.status).toBe(400);
  expect(answer.body.error?.code).toBe('bad_request');
  expect(answer.body.error?.message).toMatch(pattern);
}

describe('admin API: users', () => {
  it('creates, gets and lists users', async () => {
    const alice = await createUser('adm_alice', 'Alice');
    expect(alice).toMatchObject({ userId: 'adm_alice', nick: 'Alice' });
    expect(emulator.getUser('adm_alice')?.nick).toBe('Alice');

    const got = await api.call<{ user: EmulatorUser }>('GET', '/admin/users/adm_alice');
    expect(got.status).toBe(200);
    expect(got.body.user).toEqual(alice);

    const listed = await api.call<{ users: EmulatorUser[] }>('GET', '/admin/users');
    expect(listed.body.users.map((u) => u.userId)).toContain('adm_alice');

    const missing = await api.call('GET', '/admin/users/adm_nobody');
    expect(missing.status).toBe(404);
    expect(missing.body.error?.code).toBe('not_found');
  });

  it('refuses malformed user bodies without creating anything', async () => {
    const before = emulator.listUsers().length;
    expectBadRequest(
      await api.call('POST', '/admin/users', {}),
      /userId is missing; send \{userId, nick\?\}/,
    );
    expectBadRequest(
      await api.call('POST', '/admin/users', { userId: 7 }),
      /userId must be a TIM UserID string \(got an integer\)/,
    );
    expectBadRequest(
      await api.call('POST', '/admin/users', { userId: 'a b' }),
      /userId is not a valid UserID: .*spaces/,
    );
    expectBadRequest(
      await api.call('POST', '/admin/users', { userId: 'ok_1', nick: ['x'] }),
      /nick must be a string \(got an array\)/,
    );
    expectBadRequest(await api.call('POST', '/admin/users', [1]), /the body must be a JSON object/);
    expect(emulator.listUsers().length).toBe(before);
  });

  it('signs a UserSig for a user, with an optional validity', async () => {
    const answer = await api.call<{ userId: string; userSig: string; expiresAt: number }>(
      'POST',
      '/admin/users/adm_signed/sig',
      { expireSeconds: 120 },
    );
    expect(answer.status).toBe(200);
    const verified = verifyUserSig(answer.body.userSig, {
      sdkAppId: SDK_APP_ID,
      secretKey: SECRET_KEY,
    });
    expect(verified).toMatchObject({ ok: true, userId: 'adm_signed', expireSeconds: 120 });
    expect(verified.ok && verified.expiresAt).toBe(answer.body.expiresAt);
    const defaulted = await api.call<{ userSig: string }>('POST', '/admin/users/adm_signed/sig');
    expect(
      verifyUserSig(defaulted.body.userSig, { sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY }).ok,
    ).toBe(true);
    expectBadRequest(
      await api.call('POST', '/admin/users/adm_signed/sig', { expireSeconds: 0 }),
      /expireSeconds must be an integer from 1 to/,
    );
  });

  it('signs a UserSig the real SDK logs in with, lists it online, pushes a posted message and kicks it', async () => {
    await createUser('adm_online');
    const sig = await api.call<{ userSig: string }>('POST', '/admin/users/adm_online/sig');
    const client = await createClient({
      wsUrl: emulator.wsUrl,
      sdkAppId: SDK_APP_ID,
      userId: 'adm_online',
      userSig: sig.body.userSig,
    });
    clients.push(client);
    const online = await api.call<{ userIds: string[] }>('GET', '/admin/online');
    expect(online.status).toBe(200);
    expect(online.body.userIds).toContain('adm_online');

    await createUser('adm_sender');
    const received = client.waitFor('MESSAGE_RECEIVED', (data) =>
      (data as { payload?: { text?: string } }[]).some(
        (m) => m.payload?.text === 'pushed over HTTP',
      ),
    );
    const sent = await api.call('POST', '/admin/c2c/messages', {
      from: 'adm_sender',
      to: 'adm_online',
      content: { text: 'pushed over HTTP' },
    });
    expect(sent.status).toBe(201);
    await received;

    expect(await api.call('POST', '/admin/users/adm_online/kick')).toMatchObject({
      status: 200,
      body: { userId: 'adm_online', kicked: true },
    });
    await client.waitFor('KICKED_OUT');
    const after = await api.call<{ userIds: string[] }>('GET', '/admin/online');
    expect(after.body.userIds).not.toContain('adm_online');
  });

  it('changes a nick; 400 without one, 404 for an unknown user', async () => {
    await createUser('adm_renamed');
    expect(
      await api.call('POST', '/admin/users/adm_renamed/nick', { nick: 'Renamed' }),
    ).toMatchObject({ status: 200, body: { user: { userId: 'adm_renamed', nick: 'Renamed' } } });
    expect(await api.call('GET', '/admin/users/adm_renamed')).toMatchObject({
      body: { user: { nick: 'Renamed' } },
    });
    expect((await api.call('POST', '/admin/users/adm_renamed/nick', {})).status).toBe(400);
    expect((await api.call('POST', '/admin/users/adm_ghost/nick', { nick: 'x' })).status).toBe(404);
  });

  it('expires sigs and drops connections, 404 for unknown users', async () => {
    await createUser('adm_kicked');
    expect(await api.call('POST', '/admin/users/adm_kicked/expire-sig')).toMatchObject({
      status: 200,
      body: { userId: 'adm_kicked', sigExpired: true },
    });
    expect((await api.call('POST', '/admin/users/adm_ghost/kick')).status).toBe(404);
    expect((await api.call('POST', '/admin/users/adm_ghost/expire-sig')).status).toBe(404);
    expect(
      await api.call('POST', '/admin/connections/drop', { userId: 'adm_kicked' }),
    ).toMatchObject({
      status: 200,
      body: { dropped: 'adm_kicked' },
    });
    expect(await api.call('POST', '/admin/connections/drop')).toMatchObject({
      status: 200,
      body: { dropped: 'all' },
    });
    expectBadRequest(
      await api.call('POST', '/admin/users/adm_kicked/kick', { force: true }),
      /force is not a known field; send only \{\}/,
    );
  });
});

describe('admin API: groups and messages', () => {
  it('creates a group, changes its members, posts and reads messages, and dismisses it', async () => {
    for (const id of ['grp_owner', 'grp_bob', 'grp_carol']) await createUser(id);
    const group = await createGroup({
      groupId: 'adm-room',
      type: 'Work',
      name: 'Admin room',
      owner: 'grp_owner',
      introduction: 'for tests',
      customFields: { topic: 'http' },
      members: ['grp_bob'],
    });
    expect(group).toMatchObject({
      groupId: 'adm-room',
      type: 'Work',
      name: 'Admin room',
      owner: 'grp_owner',
      customFields: { topic: 'http' },
    });
    expect(group.members).toEqual(expect.arrayContaining(['grp_owner', 'grp_bob']));

    const got = await api.call<{ group: EmulatorGroup }>('GET', '/admin/groups/adm-room');
    expect(got.body.group.name).toBe('Admin room');
    const listed = await api.call<{ groups: EmulatorGroup[] }>('GET', '/admin/groups');
    expect(listed.body.groups.map((g) => g.groupId)).toContain('adm-room');

    const added = await api.call<{ group: EmulatorGroup }>(
      'POST',
      '/admin/groups/adm-room/members',
      {
        userIds: ['grp_carol'],
      },
    );
    expect(added.status).toBe(200);
    expect(added.body.group.members).toContain('grp_carol');
    const removed = await api.call<{ group: EmulatorGroup }>(
      'DELETE',
      '/admin/groups/adm-room/members',
      {
        userIds: ['grp_bob'],
      },
    );
    expect(removed.status).toBe(200);
    expect(removed.body.group.members).not.toContain('grp_bob');
    expect(emulator.getGroup('adm-room')?.members).not.toContain('grp_bob');

    const posted = await api.call<{ message: EmulatorMessage }>(
      'POST',
      '/admin/groups/adm-room/messages',
      {
        from: 'grp_carol',
        content: { text: '@grp_owner hello', atUserIds: ['grp_owner'] },
        cloudCustomData: '{"k":1}',
      },
    );
    expect(posted.status).toBe(201);
    expect(posted.body.message).toMatchObject({
      from: 'grp_carol',
      conversation: { type: 'group', groupId: 'adm-room' },
      content: { text: '@grp_owner hello', atUserIds: ['grp_owner'] },
      cloudCustomData: '{"k":1}',
    });
    await api.call('POST', '/admin/groups/adm-room/messages', {
      from: 'grp_owner',
      content: { custom: { data: '{"kind":"card"}', description: 'card' } },
    });
    const history = await api.call<{ messages: EmulatorMessage[] }>(
      'GET',
      '/admin/groups/adm-room/messages',
    );
    expect(history.body.messages.map((m) => m.from)).toEqual(['grp_carol', 'grp_owner']);
    const newest = await api.call<{ messages: EmulatorMessage[] }>(
      'GET',
      '/admin/groups/adm-room/messages?limit=1',
    );
    expect(newest.body.messages).toHaveLength(1);
    expect(newest.body.messages[0]?.content).toMatchObject({
      custom: { data: '{"kind":"card"}', description: 'card' },
    });

    expect(await api.call('DELETE', '/admin/groups/adm-room')).toMatchObject({
      status: 200,
      body: { groupId: 'adm-room', dismissed: true },
    });
    expect((await api.call('GET', '/admin/groups/adm-room')).status).toBe(404);
    expect((await api.call('DELETE', '/admin/groups/adm-room')).status).toBe(404);
    expect((await api.call('GET', '/admin/groups/adm-room/messages')).status).toBe(404);
  });

  it('posts and reads C2C messages', async () => {
    await createUser('c2c_a');
    await createUser('c2c_b');
    const sent = await api.call<{ message: EmulatorMessage }>('POST', '/admin/c2c/messages', {
      from: 'c2c_a',
      to: 'c2c_b',
      content: { text: 'hi b' },
    });
    expect(sent.status).toBe(201);
    expect(sent.body.message.conversation).toEqual({ type: 'c2c', from: 'c2c_a', to: 'c2c_b' });
    await api.call('POST', '/admin/c2c/messages', {
      from: 'c2c_b',
      to: 'c2c_a',
      content: { text: 'hi a' },
    });
    const history = await api.call<{ messages: EmulatorMessage[] }>(
      'GET',
      '/admin/c2c/messages?userA=c2c_b&userB=c2c_a',
    );
    expect(history.status).toBe(200);
    expect(history.body.messages.map((m) => m.content)).toEqual([
      { text: 'hi b' },
      { text: 'hi a' },
    ]);
    expectBadRequest(
      await api.call('GET', '/admin/c2c/messages?userA=c2c_a'),
      /the query parameter userB/,
    );
    expectBadRequest(
      await api.call('GET', '/admin/c2c/messages?userA=c2c_a&userB=c2c_b&limit=0'),
      /limit must be an integer from 1 to 1000/,
    );
  });

  it('refuses malformed group and message bodies without changing state', async () => {
    await createUser('bad_owner');
    const groupsBefore = emulator.listGroups().length;
    expectBadRequest(
      await api.call('POST', '/admin/groups', { owner: 'bad_owner' }),
      /name is missing/,
    );
    expectBadRequest(
      await api.call('POST', '/admin/groups', {
        name: 'x',
        owner: 'bad_owner',
        type: 'AVChatRoom',
      }),
      /type must be one of "Public", "Work", "Meeting"/,
    );
    expectBadRequest(
      await api.call('POST', '/admin/groups', {
        name: 'x',
        owner: 'bad_owner',
        customFields: { a: 1 },
      }),
      /customFields\.a must be a string/,
    );
    expectBadRequest(
      await api.call('POST', '/admin/groups', {
        name: 'x',
        owner: 'bad_owner',
        members: ['ok', 3],
      }),
      /members\[1\] must be a TIM UserID string/,
    );
    expect(emulator.listGroups().length).toBe(groupsBefore);

    const group = await createGroup({ name: 'quiet', owner: 'bad_owner' });
    const path = `/admin/groups/${encodeURIComponent(group.groupId)}`;
    expectBadRequest(
      await api.call('POST', `${path}/members`, { userIds: [] }),
      /userIds must be a non-empty array/,
    );
    expectBadRequest(
      await api.call('POST', `${path}/messages`, { from: 'bad_owner', content: { html: '<b>' } }),
      /content must be an object with either "text" or "custom"/,
    );
    expectBadRequest(
      await api.call('POST', `${path}/messages`, {
        from: 'bad_owner',
        content: { text: 'x', extra: 1 },
      }),
      /content\.extra is not a known field; send only \{text, atUserIds\?\}/,
    );
    expectBadRequest(
      await api.call('POST', `${path}/messages`, {
        from: 'bad_owner',
        content: { custom: { description: 'd' } },
      }),
      /content\.custom\.data is missing/,
    );
    expect(emulator.groupHistory(group.groupId)).toEqual([]);
    expect(emulator.getGroup(group.groupId)?.members).toEqual(['bad_owner']);
  });
});

describe('admin API: emulator refusals', () => {
  it("answers 409 with the emulator's message and leaves state unchanged", async () => {
    await createUser('conf_owner');
    const groupsBefore = emulator.listGroups();
    const unknownOwner = await api.call('POST', '/admin/groups', {
      name: 'x',
      owner: 'conf_ghost',
    });
    expect(unknownOwner.status).toBe(409);
    expect(unknownOwner.body.error?.code).toBe('conflict');
    expect(unknownOwner.body.error?.message).toContain('conf_ghost');
    expect(emulator.listGroups()).toEqual(groupsBefore);

    await createGroup({ groupId: 'conf-room', name: 'first', owner: 'conf_owner' });
    const duplicate = await api.call('POST', '/admin/groups', {
      groupId: 'conf-room',
      name: 'second',
      owner: 'conf_owner',
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error?.message).toMatch(/already taken/);
    expect(emulator.getGroup('conf-room')?.name).toBe('first');

    const strangers = await api.call('POST', '/admin/groups/conf-room/members', {
      userIds: ['conf_ghost'],
    });
    expect(strangers.status).toBe(409);
    expect(emulator.getGroup('conf-room')?.members).toEqual(['conf_owner']);
  });
});

describe('admin API: faults', () => {
  it('injects and clears faults', async () => {
    const injected = await api.call('POST', '/admin/faults', {
      command: 'group_open_http_svc.send_group_msg',
      userId: 'someone',
      times: 2,
      errorCode: 10007,
      errorInfo: 'no permission',
    });
    expect(injected.status).toBe(201);
    expect(injected.body).toEqual({
      fault: {
        command: 'group_open_http_svc.send_group_msg',
        userId: 'someone',
        times: 2,
        errorCode: 10007,
        errorInfo: 'no permission',
      },
    });
    expect(await api.call('DELETE', '/admin/faults')).toMatchObject({
      status: 200,
      body: { cleared: true },
    });
    expectBadRequest(
      await api.call('POST', '/admin/faults', { command: 'x' }),
      /needs errorCode, delayMs or both/,
    );
    expectBadRequest(
      await api.call('POST', '/admin/faults', { command: 'x', delayMs: -1 }),
      /delayMs must be an integer from 0/,
    );
  });
});
