import { expect, test } from 'vitest';
import { useEmulator } from '../test-support/fixture.js';

const fx = useEmulator();

interface Profile {
  userID: string;
  nick?: string;
}

test.each(['tim-js-sdk', '@tencentcloud/chat'] as const)(
  '(%s) updateMyProfile sets the nick, and others read it back',
  async (pkg) => {
    const emu = await fx.start();
    emu.createUser('bob', { nick: 'Bob' });
    const alice = await fx.login(emu, 'alice', { pkg });
    await alice.tim.updateMyProfile({ nick: 'Alice the Second' });
    expect(emu.listUsers().find((u) => u.userId === 'alice')?.nick).toBe('Alice the Second');
    const bob = await fx.login(emu, 'bob', { pkg });
    const read = await bob.tim.getUserProfile({ userIDList: ['alice'] });
    expect((read.data as Profile[])[0]).toMatchObject({
      userID: 'alice',
      nick: 'Alice the Second',
    });
  },
);

test('a profile field the emulator does not keep is refused whole, with 40001', async () => {
  const emu = await fx.start();
  emu.createUser('alice', { nick: 'Alice' });
  const alice = await fx.login(emu, 'alice');
  const failed = await alice.tim
    .updateMyProfile({ nick: 'Changed', avatar: 'https://example.com/a.png' })
    .catch((error: unknown) => error);
  expect(failed).toMatchObject({ code: 40001 });
  expect((failed as Error).message).toContain('Tag_Profile_IM_Image');
  expect(emu.listUsers().find((u) => u.userId === 'alice')?.nick).toBe('Alice');
});

test('setNick tells the user’s logged-in sessions: the SDK emits onProfileUpdated', async () => {
  const emu = await fx.start();
  emu.createUser('alice', { nick: 'Alice' });
  const alice = await fx.login(emu, 'alice');
  emu.setNick('alice', 'Renamed');
  const event = (await alice.waitFor('PROFILE_UPDATED')) as Profile[];
  expect(event).toEqual([expect.objectContaining({ userID: 'alice', nick: 'Renamed' })]);
  const mine = await alice.tim.getMyProfile();
  expect((mine.data as Profile).nick).toBe('Renamed');
});
