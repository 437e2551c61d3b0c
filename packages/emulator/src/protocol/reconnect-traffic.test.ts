import { afterEach, expect, test } from 'vitest';
import { useEmulator } from '../test-support/fixture.js';
import { recordSentFrames, type SentFrames, sendC2C } from '../test-support/sdk-client.js';

const fx = useEmulator();
let frames: SentFrames | undefined;
afterEach(() => frames?.stop());

/** Polls `check` (every 10 ms, up to 5 s). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i += 1) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

/** The servcmds sent during one second of doing nothing, counted. */
async function framesOverAnIdleSecond(recorded: SentFrames): Promise<Record<string, number>> {
  recorded.reset();
  await new Promise((r) => setTimeout(r, 1000));
  const counts: Record<string, number> = {};
  for (const servcmd of recorded.servcmds) counts[servcmd] = (counts[servcmd] ?? 0) + 1;
  return counts;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

test.each(['tim-js-sdk', '@tencentcloud/chat'] as const)(
  '%s: an idle client with group and C2C conversations sends a handful of frames after a reconnect and a re-login, none unknown',
  async (pkg) => {
    frames = recordSentFrames();
    const recorded = frames;
    const emu = await fx.start();
    const alice = await fx.login(emu, 'alice', { pkg });
    const bob = await fx.login(emu, 'bob', { pkg });
    const created = await alice.tim.createGroup({ type: alice.sdk.TYPES.GRP_PUBLIC, name: 'room' });
    const groupId: string = created.data.group.groupID;
    await bob.tim.joinGroup({ groupID: groupId });
    await alice.tim.sendMessage(
      alice.tim.createTextMessage({
        to: groupId,
        conversationType: alice.sdk.TYPES.CONV_GROUP,
        payload: { text: 'group' },
      }),
    );
    await sendC2C(alice, 'bob', 'c2c');
    await bob.waitFor('MESSAGE_RECEIVED', (d) => JSON.stringify(d).includes('c2c'));
    await bob.waitFor('MESSAGE_RECEIVED', (d) => JSON.stringify(d).includes('group'));

    recorded.reset();
    emu.dropConnections('bob');
    await until(() => !emu.onlineUsers().includes('bob'), 'bob to drop');
    // The SDK recovers group conversations (get_group_notify), then syncs C2C (openim.getmsg).
    await until(() => recorded.servcmds.includes('openim.getmsg'), "bob's reconnect sync");
    const afterReconnect = await framesOverAnIdleSecond(recorded);
    expect(total(afterReconnect), JSON.stringify(afterReconnect)).toBeLessThan(20);

    await bob.tim.logout();
    await bob.tim.login({ userID: 'bob', userSig: emu.userSig('bob') });
    await bob.waitFor('SDK_READY');
    const afterRelogin = await framesOverAnIdleSecond(recorded);
    expect(total(afterRelogin), JSON.stringify(afterRelogin)).toBeLessThan(20);
    expect(fx.logs.filter((line) => line.startsWith('unknown servcmd'))).toEqual([]);
  },
);
