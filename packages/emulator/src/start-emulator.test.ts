import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUserSig } from '@clawlink/usersig';
import type { Message } from 'tim-js-sdk';
import { describe, expect, test } from 'vitest';
import { SDK_APP_ID, SECRET_KEY, useEmulator } from './test-support/fixture.js';

const fx = useEmulator();

const messagesOf = (data: unknown): Message[] => (Array.isArray(data) ? (data as Message[]) : []);
const hasMessage = (predicate: (m: Message) => boolean) => (data: unknown) =>
  messagesOf(data).some(predicate);

describe('login', () => {
  test('two users reach SDK_READY and are online', async () => {
    const emu = await fx.start();
    await fx.login(emu, 'alice');
    await fx.login(emu, 'bob');
    expect(emu.onlineUsers().sort()).toEqual(['alice', 'bob']);
    expect(emu.getUser('alice')).toMatchObject({ userId: 'alice' });
    expect(fx.logs.filter((l) => l.startsWith('unknown servcmd'))).toEqual([]);
  });

  test('ten users in one process reach SDK_READY', async () => {
    const emu = await fx.start();
    const ids = Array.from({ length: 10 }, (_, i) => `user${i}`);
    await Promise.all(ids.map((id) => fx.login(emu, id)));
    expect(emu.onlineUsers().sort()).toEqual([...ids].sort());
  });

  test('a forged sig (other key) is refused with 70009', async () => {
    const emu = await fx.start();
    const forged = createUserSig({ sdkAppId: SDK_APP_ID, secretKey: 'not-the-key', userId: 'eve' });
    await expect(fx.login(emu, 'eve', { userSig: forged })).rejects.toMatchObject({ code: 70009 });
    expect(emu.getUser('eve')).toBeUndefined();
  });

  test('an expired sig is refused with 70001', async () => {
    const emu = await fx.start();
    const past = Date.now() - 10_000;
    const expired = createUserSig({
      sdkAppId: SDK_APP_ID,
      secretKey: SECRET_KEY,
      userId: 'carol',
      expireSeconds: 5,
      now: () => past,
    });
    await expect(fx.login(emu, 'carol', { userSig: expired })).rejects.toMatchObject({
      code: 70001,
    });
  });

  test('a sig for another SDKAppID is refused with 70014, a garbled one with 70003', async () => {
    const emu = await fx.start();
    const otherApp = createUserSig({ sdkAppId: 1400000002, secretKey: SECRET_KEY, userId: 'dan' });
    await expect(fx.login(emu, 'dan', { userSig: otherApp })).rejects.toMatchObject({
      code: 70014,
    });
    await expect(fx.login(emu, 'dan', { userSig: 'not-a-sig' })).rejects.toMatchObject({
      code: 70003,
    });
  });

  test('a sig signed for another user is refused with 70013', async () => {
    const emu = await fx.start();
    await expect(fx.login(emu, 'mallory', { userSig: emu.userSig('alice') })).rejects.toMatchObject(
      { code: 70013 },
    );
  });
});

describe('login: UserID rules', () => {
  test('an invalid UserID is refused with 7003, even with a correctly signed sig', async () => {
    const emu = await fx.start();
    const userId = 'x'.repeat(33);
    const sig = createUserSig({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, userId });
    await expect(fx.login(emu, userId, { userSig: sig })).rejects.toMatchObject({ code: 7003 });
    expect(emu.listUsers()).toEqual([]);
  });
});

describe('groups', () => {
  test('create with custom field and introduction, read back, join, members, quit', async () => {
    const emu = await fx.start();
    const alice = await fx.login(emu, 'alice');
    const bob = await fx.login(emu, 'bob');
    const created = await alice.tim.createGroup({
      type: alice.sdk.TYPES.GRP_PUBLIC,
      name: 'room',
      introduction: 'intro text',
      groupCustomField: [{ key: 'match_id', value: 'm-42' }],
    });
    const groupId: string = created.data.group.groupID;
    expect(emu.getGroup(groupId)).toMatchObject({
      owner: 'alice',
      introduction: 'intro text',
      customFields: { match_id: 'm-42' },
      members: ['alice'],
    });

    const joined = await bob.tim.joinGroup({ groupID: groupId });
    expect(joined.data.status).toBe('JoinedSuccess');
    const profile = await bob.tim.getGroupProfile({
      groupID: groupId,
      groupCustomFieldFilter: ['match_id'],
    });
    expect(profile.data.group).toMatchObject({
      introduction: 'intro text',
      ownerID: 'alice',
      memberCount: 2,
      groupCustomField: [{ key: 'match_id', value: 'm-42' }],
    });
    const members = await alice.tim.getGroupMemberList({ groupID: groupId, count: 30, offset: 0 });
    expect(members.data.memberList.map((m: { userID: string }) => m.userID).sort()).toEqual([
      'alice',
      'bob',
    ]);
    const bobsGroups = await bob.tim.getGroupList({ groupProfileFilter: [] });
    expect(bobsGroups.data.groupList.map((g: { groupID: string }) => g.groupID)).toEqual([groupId]);

    await bob.tim.quitGroup(groupId);
    expect(emu.getGroup(groupId)?.members).toEqual(['alice']);
  });
});

describe('messages', () => {
  test('a group @-message is pushed with atUserList; C2C text and custom go both ways', async () => {
    const emu = await fx.start();
    const alice = await fx.login(emu, 'alice');
    const bob = await fx.login(emu, 'bob');
    const created = await alice.tim.createGroup({ type: alice.sdk.TYPES.GRP_PUBLIC, name: 'room' });
    const groupId: string = created.data.group.groupID;
    await bob.tim.joinGroup({ groupID: groupId });

    const at = alice.tim.createTextMessage({
      to: groupId,
      conversationType: alice.sdk.TYPES.CONV_GROUP,
      // The SDK reads the mentions from the payload.
      payload: { text: '@bob hello', atUserList: ['bob'] } as { text: string },
      cloudCustomData: '{"trace":1}',
    });
    await alice.tim.sendMessage(at);
    const got = messagesOf(
      await bob.waitFor(
        'MESSAGE_RECEIVED',
        hasMessage((m) => m.payload?.text === '@bob hello'),
      ),
    ).find((m) => m.payload?.text === '@bob hello');
    expect(got).toMatchObject({
      from: 'alice',
      atUserList: ['bob'],
      cloudCustomData: '{"trace":1}',
    });

    const text = bob.tim.createTextMessage({
      to: 'alice',
      conversationType: alice.sdk.TYPES.CONV_C2C,
      payload: { text: 'hi alice' },
    });
    await bob.tim.sendMessage(text);
    await alice.waitFor(
      'MESSAGE_RECEIVED',
      hasMessage((m) => m.conversationID === 'C2Cbob' && m.payload?.text === 'hi alice'),
    );
    const custom = alice.tim.createCustomMessage({
      to: 'bob',
      conversationType: alice.sdk.TYPES.CONV_C2C,
      payload: { data: '{"cmd":"ping"}', description: 'd', extension: 'e' },
    });
    await alice.tim.sendMessage(custom);
    const ping = messagesOf(
      await bob.waitFor(
        'MESSAGE_RECEIVED',
        hasMessage((m) => m.conversationID === 'C2Calice'),
      ),
    ).find((m) => m.conversationID === 'C2Calice');
    expect(ping?.payload).toMatchObject({
      data: '{"cmd":"ping"}',
      description: 'd',
      extension: 'e',
    });

    expect(emu.c2cHistory('alice', 'bob').map((m) => m.content)).toEqual([
      { text: 'hi alice' },
      { custom: { data: '{"cmd":"ping"}', description: 'd', extension: 'e' } },
    ]);
    // The sender's own connection is not echoed to.
    expect(
      alice.events.some(
        (e) => e.name === 'MESSAGE_RECEIVED' && JSON.stringify(e.data).includes('cmd'),
      ),
    ).toBe(false);
  });
});

describe('persistence', () => {
  test('a restarted emulator on the same SQLite file keeps users, groups, messages and agents', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-emulator-'));
    try {
      const dbPath = join(dir, 'state.sqlite');
      const first = await fx.start({ dbPath });
      const alice = await fx.login(first, 'alice');
      const bob = await fx.login(first, 'bob');
      const created = await alice.tim.createGroup({
        type: alice.sdk.TYPES.GRP_PUBLIC,
        name: 'kept',
        groupCustomField: [{ key: 'match_id', value: 'm-1' }],
        memberList: [{ userID: 'bob' }],
      });
      const groupId: string = created.data.group.groupID;
      first.postGroupMessage({ groupId, from: 'bob', content: { text: 'still here' } });
      // Bob was added at creation, so his SDK does not know the group yet: it probes the group
      // (get_group_self_member_info) and then emits the cached push.
      await bob.waitFor(
        'MESSAGE_RECEIVED',
        hasMessage((m) => m.payload?.text === 'still here'),
      );
      first.postC2CMessage({ from: 'bob', to: 'alice', content: { custom: { data: 'x' } } });
      const agent = first.registerAgent({ agentId: 'agent-1' });
      first.claimAgent('agent-1');
      // Destroy the clients first: an SDK whose server is gone waits for its logout to time out.
      await Promise.all([alice.destroy(), bob.destroy()]);
      await first.close();

      const second = await fx.start({ dbPath });
      expect(second.getUser('alice')).toBeDefined();
      expect(second.getGroup(groupId)).toMatchObject({
        name: 'kept',
        customFields: { match_id: 'm-1' },
        members: ['alice', 'bob'],
        nextSeq: 3,
      });
      expect(second.groupHistory(groupId).map((m) => m.content)).toEqual([
        { custom: { data: 'group_create', description: '', extension: 'alice创建群组' } },
        { text: 'still here' },
      ]);
      expect(second.c2cHistory('alice', 'bob')).toHaveLength(1);
      expect(second.getAgent('agent-1')).toEqual({
        agentId: 'agent-1',
        userId: 'agent-1',
        claimed: true,
        revoked: false,
      });
      expect(second.verifyAgentKey('agent-1', agent.apiKey)).toBe(true);

      const again = await fx.login(second, 'alice');
      const list = await again.tim.getGroupList({ groupProfileFilter: [] });
      expect(list.data.groupList.map((g: { groupID: string }) => g.groupID)).toEqual([groupId]);
      const history = await again.tim.getMessageList({ conversationID: `GROUP${groupId}` });
      expect(
        (history.data.messageList as Message[]).map((m) => m.payload?.text ?? m.payload?.data),
      ).toEqual(['group_create', 'still here']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('@tencentcloud/chat 3.6.6', () => {
  test('smoke: login, group message, C2C both ways', async () => {
    const emu = await fx.start();
    const alice = await fx.login(emu, 'alice', { pkg: '@tencentcloud/chat' });
    const bob = await fx.login(emu, 'bob', { pkg: '@tencentcloud/chat' });
    const created = await alice.tim.createGroup({ type: alice.sdk.TYPES.GRP_PUBLIC, name: 'v3' });
    const groupId: string = created.data.group.groupID;
    await bob.tim.joinGroup({ groupID: groupId });
    await alice.tim.sendMessage(
      alice.tim.createTextMessage({
        to: groupId,
        conversationType: alice.sdk.TYPES.CONV_GROUP,
        payload: { text: 'v3 group' },
      }),
    );
    await bob.waitFor(
      'MESSAGE_RECEIVED',
      hasMessage((m) => m.payload?.text === 'v3 group'),
    );
    await bob.tim.sendMessage(
      bob.tim.createTextMessage({
        to: 'alice',
        conversationType: bob.sdk.TYPES.CONV_C2C,
        payload: { text: 'v3 c2c' },
      }),
    );
    await alice.waitFor(
      'MESSAGE_RECEIVED',
      hasMessage((m) => m.payload?.text === 'v3 c2c'),
    );
    const history = await bob.tim.getMessageList({ conversationID: 'C2Calice' });
    expect((history.data.messageList as Message[]).map((m) => m.payload?.text)).toEqual(['v3 c2c']);
    expect(fx.logs.filter((l) => l.startsWith('unknown servcmd'))).toEqual([]);
  });
});
