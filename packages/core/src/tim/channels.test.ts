import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createChannel,
  getChannel,
  getCustomField,
  getMembers,
  joinChannel,
  leaveChannel,
  listChannels,
  SKILL_FIELD_KEY,
  searchChannels,
  setCustomField,
} from './channels.js';
import { failure } from './test-support.js';
import { createTimClient, type TimClient } from './tim-client.js';

const SDK_APP_ID = 1400000002;
let emulator: Emulator;
let alice: TimClient;
let bob: TimClient;

async function connect(userId: string): Promise<TimClient> {
  emulator.createUser(userId);
  const client = createTimClient({ sdkAppId: SDK_APP_ID, server: emulator.wsUrl });
  await client.login({ userId, userSig: emulator.userSig(userId) });
  return client;
}

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: 'channels-test-secret' });
  [alice, bob] = await Promise.all([connect('alice'), connect('bob')]);
});
afterAll(async () => {
  await Promise.all([alice?.destroy(), bob?.destroy()]);
  await emulator?.close();
});

describe('channels', () => {
  it('creates a channel with description, skill and custom fields (no unhandled rejection from the SDK)', async () => {
    const seen: unknown[] = [];
    const onRejection = (reason: unknown) => seen.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const channel = await createChannel(alice, {
        name: 'Research Desk',
        description: 'Papers and summaries',
        skill: 'Summarise papers on request',
        customFields: { topic: 'ml' },
      });
      expect(channel).toMatchObject({
        name: 'Research Desk',
        description: 'Papers and summaries',
        type: 'Public',
        owner: 'alice',
        role: 'owner',
        skill: 'Summarise papers on request',
        customFields: { [SKILL_FIELD_KEY]: 'Summarise papers on request', topic: 'ml' },
      });
      const stored = emulator.getGroup(channel.id);
      expect(stored?.customFields).toEqual({
        [SKILL_FIELD_KEY]: 'Summarise papers on request',
        topic: 'ml',
      });
      expect(stored?.introduction).toBe('Papers and summaries');
      // createGroup's own group_create notice is sent without a catch inside the SDK.
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      process.off('unhandledRejection', onRejection);
    }
    expect(seen).toEqual([]);
  });

  it('lists joined channels, searches by exact id and by name, and reads a profile', async () => {
    const created = await createChannel(alice, {
      name: 'Weather Bots',
      description: 'Forecasts',
      id: 'weather-bots',
    });
    expect(created.id).toBe('weather-bots');
    expect((await listChannels(alice)).map((c) => c.id)).toContain('weather-bots');
    expect((await listChannels(bob)).map((c) => c.id)).not.toContain('weather-bots');

    // Not joined: found by exact id only.
    expect((await searchChannels(bob, 'weather-bots')).map((c) => c.id)).toEqual(['weather-bots']);
    expect(await searchChannels(bob, 'Weather')).toEqual([]);
    // Joined: matched on name/description, case-insensitively.
    expect((await searchChannels(alice, 'wEaThEr')).map((c) => c.id)).toContain('weather-bots');
    expect((await searchChannels(alice, 'forecasts')).map((c) => c.id)).toContain('weather-bots');

    const profile = await getChannel(bob, 'weather-bots');
    expect(profile).toMatchObject({
      id: 'weather-bots',
      name: 'Weather Bots',
      description: 'Forecasts',
      owner: 'alice',
    });
    expect(profile.memberCount).toBe(1);
  });

  it('joins, lists members and leaves', async () => {
    const { id } = await createChannel(alice, { name: 'Lobby' });
    expect((await failure(getMembers(bob, id))).code).toBe('PERMISSION_DENIED');
    expect(await joinChannel(bob, id)).toBe('joined');
    expect(await joinChannel(bob, id)).toBe('already_member');
    const members = await getMembers(alice, id);
    expect(members.map((m) => [m.userId, m.role]).sort()).toEqual([
      ['alice', 'owner'],
      ['bob', 'member'],
    ]);
    expect(emulator.getGroup(id)?.members.sort()).toEqual(['alice', 'bob']);
    await leaveChannel(bob, id);
    expect((await listChannels(bob)).map((c) => c.id)).not.toContain(id);
    expect(emulator.getGroup(id)?.members).toEqual(['alice']);
  });

  it('reads and writes the skill and custom fields', async () => {
    const { id } = await createChannel(alice, { name: 'Skills' });
    expect((await getChannel(alice, id)).skill).toBeUndefined();
    await setCustomField(alice, id, SKILL_FIELD_KEY, 'Answers questions about the weather');
    expect((await getChannel(bob, id)).skill).toBe('Answers questions about the weather');
    await setCustomField(alice, id, 'mood', 'sunny');
    expect(await getCustomField(bob, id, 'mood')).toBe('sunny');
    expect(emulator.getGroup(id)?.customFields).toMatchObject({ mood: 'sunny' });
  });

  it("waits out the SDK's own throttle (20 profile reads per second) instead of failing", async () => {
    const { id } = await createChannel(alice, { name: 'Busy' });
    const reads = await Promise.all(Array.from({ length: 30 }, () => getChannel(bob, id)));
    expect(reads.every((channel) => channel.id === id)).toBe(true);
  });

  it("checks TIM's limits before sending", async () => {
    const { id } = await createChannel(alice, { name: 'Limits', skill: 'ok' });
    expect(
      await failure(
        setCustomField(alice, id, SKILL_FIELD_KEY, 'x'.repeat(513), { operation: 'setSkill' }),
      ),
    ).toMatchObject({ code: 'TOO_LARGE', operation: 'setSkill' });
    // 171 three-byte characters = 513 bytes.
    expect((await failure(setCustomField(alice, id, 'note', '€'.repeat(171)))).code).toBe(
      'TOO_LARGE',
    );
    expect(emulator.getGroup(id)?.customFields[SKILL_FIELD_KEY]).toBe('ok');
    expect((await failure(setCustomField(alice, id, 'bad-key', 'v'))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await failure(setCustomField(alice, id, 'k'.repeat(17), 'v'))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await failure(createChannel(alice, { name: 'n'.repeat(31) }))).code).toBe('TOO_LARGE');
    expect(
      (await failure(createChannel(alice, { name: 'ok', description: 'd'.repeat(241) }))).code,
    ).toBe('TOO_LARGE');
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
    expect((await failure(createChannel(alice, { name: 'ok', customFields: eleven }))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await failure(createChannel(alice, { name: 'ok', id: '@TGS#mine' }))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await failure(joinChannel(alice, ' '))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(searchChannels(alice, ''))).code).toBe('INVALID_ARGUMENT');
  });

  it("maps TIM's errors: unknown channel, Work channel, and injected server codes", async () => {
    expect(await failure(getChannel(bob, 'no-such-channel'))).toMatchObject({
      code: 'CHANNEL_NOT_FOUND',
      operation: 'getChannel',
    });
    const work = await createChannel(alice, { name: 'Team', type: 'Work' });
    expect(work.type).toBe('Work');
    const refused = await failure(joinChannel(bob, work.id));
    expect(refused.code).toBe('PERMISSION_DENIED');
    expect(refused.message).toMatch(/invite/);

    const { id } = await createChannel(alice, { name: 'Faults' });
    emulator.injectFault({
      command: 'group_open_http_svc.modify_group_base_info',
      errorCode: 10007,
      userId: 'alice',
    });
    const denied = await failure(
      setCustomField(alice, id, SKILL_FIELD_KEY, 'nope', { operation: 'setSkill' }),
    );
    expect(denied).toMatchObject({
      code: 'PERMISSION_DENIED',
      timCode: 10007,
      operation: 'setSkill',
    });
    expect(denied.message).toMatch(/^setSkill failed: .*join the channel or ask its owner/);
  });
});
