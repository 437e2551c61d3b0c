import type { Message } from 'tim-js-sdk';
import { describe, expect, test } from 'vitest';
import { useEmulator } from '../test-support/fixture.js';
import type { TestClient } from '../test-support/sdk-client.js';

const fx = useEmulator();

async function publicGroup(owner: TestClient, name = 'room'): Promise<string> {
  const created = await owner.tim.createGroup({ type: owner.sdk.TYPES.GRP_PUBLIC, name });
  return created.data.group.groupID as string;
}

function sendText(client: TestClient, groupId: string, text: string) {
  return client.tim.sendMessage(
    client.tim.createTextMessage({
      to: groupId,
      conversationType: client.sdk.TYPES.CONV_GROUP,
      payload: { text },
    }),
  );
}

describe('group profile', () => {
  test('modify custom field and introduction; other members read the change', async () => {
    const emu = await fx.start();
    const alice = await fx.login(emu, 'alice');
    const bob = await fx.login(emu, 'bob');
    const created = await alice.tim.createGroup({
      type: alice.sdk.TYPES.GRP_PUBLIC,
      name: 'room',
      groupCustomField: [{ key: 'topic', value: 'old' }],
    });
    const groupId: string = created.data.group.groupID;
    await bob.tim.joinGroup({ groupID: groupId });

    await alice.tim.updateGroupProfile({
      groupID: groupId,
      introduction: 'new intro',
      groupCustomField: [{ key: 'topic', value: 'new' }],
    });
    expect(emu.getGroup(groupId)).toMatchObject({
      introduction: 'new intro',
      customFields: { topic: 'new' },
    });
    const found = await bob.tim.searchGroupByID(groupId);
    expect(found.data.group).toMatchObject({ groupID: groupId, name: 'room', type: 'Public' });
    const seen = await bob.tim.getGroupProfile({
      groupID: groupId,
      groupCustomFieldFilter: ['topic'],
    });
    expect(seen.data.group.groupCustomField).toEqual([{ key: 'topic', value: 'new' }]);
    // A plain member of a Public group may not change it.
    await expect(
      bob.tim.updateGroupProfile({ groupID: groupId, introduction: 'hijack' }),
    ).rejects.toMatchObject({ code: 10007 });
  });

  test("TIM's size limits on names and custom fields are enforced with 10004", async () => {
    const emu = await fx.start();
    const alice = await fx.login(emu, 'alice');
    await expect(
      alice.tim.createGroup({ type: alice.sdk.TYPES.GRP_PUBLIC, name: 'n'.repeat(31) }),
    ).rejects.toMatchObject({ code: 10004 });
    await expect(
      alice.tim.createGroup({
        type: alice.sdk.TYPES.GRP_PUBLIC,
        name: 'ok',
        groupCustomField: [{ key: 'k'.repeat(17), value: 'v' }],
      }),
    ).rejects.toMatchObject({ code: 10004 });
    const groupId = await publicGroup(alice);
    await expect(
      alice.tim.updateGroupProfile({
        groupID: groupId,
        groupCustomField: [{ key: 'big', value: 'v'.repeat(513) }],
      }),
    ).rejects.toMatchObject({ code: 10004 });
    await alice.tim.updateGroupProfile({
      groupID: groupId,
      groupCustomField: [{ key: 'big', value: 'v'.repeat(512) }],
    });
    expect(emu.getGroup(groupId)?.customFields.big).toHaveLength(512);
  });

  test('a custom GroupId given by the client is kept; a taken one is refused with 10021', async () => {
    const emu = await fx.start();
    const alice = await fx.login(emu, 'alice');
    const created = await alice.tim.createGroup({
      type: alice.sdk.TYPES.GRP_MEETING,
      name: 'm',
      groupID: 'match-42',
    });
    expect(created.data.group.groupID).toBe('match-42');
    expect(emu.getGroup('match-42')?.type).toBe('Meeting');
    await expect(
      alice.tim.createGroup({ type: alice.sdk.TYPES.GRP_MEETING, name: 'm', groupID: 'match-42' }),
    ).rejects.toMatchObject({ code: 10021 });
  });
});

describe('membership', () => {
  test('Work groups: members are added by the owner, not by joining; the list follows', async () => {
    const emu = await fx.start();
    const alice = await fx.login(emu, 'alice');
    const bob = await fx.login(emu, 'bob');
    const created = await alice.tim.createGroup({ type: alice.sdk.TYPES.GRP_WORK, name: 'team' });
    const groupId: string = created.data.group.groupID;
    // Bob's SDK does not know the group yet, so the request reaches the emulator: 10007. (An SDK
    // that knows the group is a Work group refuses on its own with 2601.)
    await expect(bob.tim.joinGroup({ groupID: groupId })).rejects.toMatchObject({ code: 10007 });
    const added = await alice.tim.addGroupMember({ groupID: groupId, userIDList: ['bob'] });
    expect(added.data.successUserIDList).toEqual(['bob']);
    const list = await bob.tim.getGroupList({ groupProfileFilter: [] });
    expect(list.data.groupList.map((g: { groupID: string }) => g.groupID)).toEqual([groupId]);
  });

  test('dismiss: only the owner; afterwards the group is gone for everyone', async () => {
    const emu = await fx.start();
    const alice = await fx.login(emu, 'alice');
    const bob = await fx.login(emu, 'bob');
    const groupId = await publicGroup(alice);
    await bob.tim.joinGroup({ groupID: groupId });
    await expect(bob.tim.dismissGroup(groupId)).rejects.toMatchObject({ code: 10007 });
    await expect(alice.tim.quitGroup(groupId)).rejects.toMatchObject({ code: 10009 });
    await alice.tim.dismissGroup(groupId);
    expect(emu.getGroup(groupId)).toBeUndefined();
    const list = await alice.tim.getGroupList({ groupProfileFilter: [] });
    expect(list.data.groupList).toEqual([]);
    await expect(bob.tim.joinGroup({ groupID: groupId })).rejects.toMatchObject({ code: 10010 });
  });
});

describe('group messages', () => {
  test('history comes back in order through getMessageList', async () => {
    const emu = await fx.start();
    const alice = await fx.login(emu, 'alice');
    const groupId = await publicGroup(alice);
    for (const text of ['one', 'two', 'three']) await sendText(alice, groupId, text);
    emu.postGroupMessage({ groupId, from: 'alice', content: { custom: { data: 'four' } } });
    const bob = await fx.login(emu, 'bob');
    await bob.tim.joinGroup({ groupID: groupId });
    const history = await bob.tim.getMessageList({ conversationID: `GROUP${groupId}` });
    const list = history.data.messageList as (Message & { sequence: number })[];
    expect(list.map((m) => m.payload?.text ?? m.payload?.data)).toEqual([
      'group_create',
      'one',
      'two',
      'three',
      'four',
    ]);
    expect(list.map((m) => m.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(emu.groupHistory(groupId, 2).map((m) => m.seq)).toEqual([4, 5]);
  });

  test('not a member: 10007; over 12 KB: 80002; exactly 12 KB passes', async () => {
    const emu = await fx.start();
    const alice = await fx.login(emu, 'alice');
    const bob = await fx.login(emu, 'bob');
    const groupId = await publicGroup(alice);
    await expect(sendText(bob, groupId, 'let me in')).rejects.toMatchObject({ code: 10007 });
    await expect(sendText(alice, groupId, 'x'.repeat(12 * 1024 + 1))).rejects.toMatchObject({
      code: 80002,
    });
    await sendText(alice, groupId, 'x'.repeat(12 * 1024));
    expect(emu.groupHistory(groupId).at(-1)?.content).toEqual({ text: 'x'.repeat(12 * 1024) });
  });

  test('more than 40 messages in one second to a group: the rest get 10023', async () => {
    const frozen = Date.now();
    const emu = await fx.start({ now: () => frozen });
    const alice = await fx.login(emu, 'alice');
    const groupId = await publicGroup(alice); // group_create message: 1 of 40
    const results = await Promise.allSettled(
      Array.from({ length: 44 }, (_, i) => sendText(alice, groupId, `burst ${i}`)),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    expect(results.length - refused.length).toBe(39);
    expect(refused).toHaveLength(5);
    for (const r of refused) expect(r.reason).toMatchObject({ code: 10023 });
  });
});
