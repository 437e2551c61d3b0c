import { once } from 'node:events';
import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../logging/logger.js';
import { getChannel } from './channels.js';
import { keepSdkGroupPushOrder } from './sdk-group-push-order.js';
import { waitUntil } from './test-support.js';
import { createTimClient, type TimClient, type TimMessage } from './tim-client.js';

const SDK_APP_ID = 1400000001;
/**
 * More groups than the SDK may probe at once: its read of a group it does not know yet (the
 * probe) is limited to 20 per second, so the held pushes of the others wait for the group list.
 */
const GROUPS = 24;
/** How many rounds (one message to every group) a run may post before it gives up. */
const MAX_ROUNDS = 400;
/** The command of the SDK's group profile reads: its probe, and `getChannel`. */
const PROFILE_READ = 'group_open_http_svc.get_group_self_member_info';

let emulator: Emulator;
const clients: TimClient[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: 'group-order-test-secret' });
});
afterAll(async () => {
  await emulator?.close();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.destroy()));
  emulator.clearFaults();
});

let nextRun = 0;

/** A user and a sender, and `groups` fresh groups of both (none when 0). */
function newAudience(groups = GROUPS): { userId: string; sender: string; groupIds: string[] } {
  const run = ++nextRun;
  const userId = `reader${run}`;
  const sender = `poster${run}`;
  emulator.createUser(userId);
  emulator.createUser(sender);
  const groupIds = Array.from({ length: groups }, (_, i) =>
    newGroup(sender, userId, `${run}.${i}`),
  );
  return { userId, sender, groupIds };
}

function newGroup(owner: string, member: string, name: string): string {
  return emulator.createGroup({ name: `order ${name}`, owner, members: [member] }).groupId;
}

/** The SDK's own output (at level 0), line by line, with a way to wait for a line. */
function watchSdkOutput(): { logger: Logger; next(match: RegExp): Promise<string> } {
  const waiting: Array<{ match: RegExp; resolve: (line: string) => void }> = [];
  const onLine = (line: string) => {
    for (const wait of [...waiting]) {
      if (!wait.match.test(line)) continue;
      waiting.splice(waiting.indexOf(wait), 1);
      wait.resolve(line);
    }
  };
  const logger: Logger = {
    debug: (objOrMsg: object | string, msg?: string) =>
      onLine(typeof objOrMsg === 'string' ? objOrMsg : (msg ?? '')),
    info: () => {},
    warn: () => {},
    error: () => {},
    child: () => logger,
  };
  return {
    logger,
    next: (match) => new Promise((resolve) => waiting.push({ match, resolve })),
  };
}

function newClient(logger?: Logger): TimClient {
  const client = createTimClient({
    sdkAppId: SDK_APP_ID,
    server: emulator.wsUrl,
    ...(logger ? { logger, sdkLogLevel: 0 as const } : {}),
  });
  clients.push(client);
  return client;
}

/** Records what `client` emits; `seqs(groupId)` are the sequences of one group, in order. */
function recordMessages(client: TimClient) {
  const received: TimMessage[] = [];
  client.on('message', (message) => received.push(message));
  const seqs = (groupId: string) =>
    received.filter((m) => m.conversation.id === groupId).map((m) => m.seq);
  return { received, seqs };
}

/**
 * Each group whose messages the client did not emit exactly as posted (same sequences, same
 * order, each once), with the first ones it emitted from the first difference on.
 */
function disorder(posted: Map<string, number[]>, received: TimMessage[]): string[] {
  const emitted = new Map([...posted.keys()].map((id) => [id, [] as number[]]));
  for (const message of received) emitted.get(message.conversation.id)?.push(message.seq ?? -1);
  const wrong: string[] = [];
  for (const [groupId, sequences] of posted) {
    const got = emitted.get(groupId) ?? [];
    const at = sequences.findIndex((seq, i) => got[i] !== seq);
    if (at >= 0 || got.length !== sequences.length) {
      const from = at >= 0 ? at : sequences.length;
      wrong.push(`${groupId}: from #${from} emitted ${got.slice(from, from + 5).join(',')}`);
    }
  }
  return wrong;
}

/** Posts one message to every group of `audience`; remembers each sequence in `posted`. */
function postRound(
  audience: ReturnType<typeof newAudience>,
  posted: Map<string, number[]>,
  round: number,
): void {
  for (const groupId of audience.groupIds) {
    const message = emulator.postGroupMessage({
      groupId,
      from: audience.sender,
      content: { text: `round ${round}` },
    });
    posted.set(groupId, [...(posted.get(groupId) ?? []), message.seq]);
  }
}

describe('group pushes the SDK holds back while it does not know the group', () => {
  it('come out in sequence order, each once, when the group list answers slowly', async () => {
    for (let run = 0; run < 3; run++) {
      const audience = newAudience();
      // TIM's group list answer takes a while: the pushes right after ready reach the SDK
      // before it knows the groups, and it holds them back while it looks the groups up.
      emulator.injectFault({
        command: 'group_open_http_svc.get_joined_group_list',
        userId: audience.userId,
        delayMs: 300,
      });
      const client = newClient();
      const { received } = recordMessages(client);
      await client.login({ userId: audience.userId, userSig: emulator.userSig(audience.userId) });
      // A round each time the client emitted something, until every group's first message
      // came out (the held ones included); then one round more.
      const posted = new Map<string, number[]>();
      const firstOut = () => {
        const out = new Set(received.filter((m) => m.seq === 1).map((m) => m.conversation.id));
        return audience.groupIds.every((id) => out.has(id));
      };
      let round = 0;
      while (!firstOut()) {
        if (round === MAX_ROUNDS) throw new Error('the first messages never all came out');
        const next = once(client, 'message');
        postRound(audience, posted, ++round);
        await next;
      }
      postRound(audience, posted, ++round);
      const total = round * GROUPS;
      await waitUntil(() => received.length >= total, 20_000, `${total} messages`);
      expect(disorder(posted, received)).toEqual([]);
      await clients.pop()?.destroy();
    }
  });

  it('are released as soon as the group list has loaded', async () => {
    const audience = newAudience();
    emulator.injectFault({
      command: 'group_open_http_svc.get_joined_group_list',
      userId: audience.userId,
      delayMs: 300,
    });
    const output = watchSdkOutput();
    const client = newClient(output.logger);
    const { received, seqs } = recordMessages(client);
    await client.login({ userId: audience.userId, userSig: emulator.userSig(audience.userId) });
    const listLoaded = output.next(/CommonGroupHandler\.getGroupList ok/);
    postRound(audience, new Map(), 1);
    await listLoaded;
    // The group list's own callbacks run first; then nothing the SDK holds of a known group.
    await new Promise((resolve) => setImmediate(resolve));
    expect(audience.groupIds.filter((id) => seqs(id).length === 0)).toEqual([]);
    expect(received).toHaveLength(GROUPS);
  });

  it('come out before a later push of their group once the SDK knows it otherwise', async () => {
    // The account joins a group after login: its first push is held while the SDK reads the
    // group; that read fails (once), so the push waits for the SDK's next check.
    const audience = newAudience(0);
    const output = watchSdkOutput();
    const client = newClient(output.logger);
    const { seqs } = recordMessages(client);
    await client.login({ userId: audience.userId, userSig: emulator.userSig(audience.userId) });
    const groupId = newGroup(audience.sender, audience.userId, 'late');
    emulator.injectFault({
      command: PROFILE_READ,
      userId: audience.userId,
      errorCode: 10004,
      times: 1,
    });
    const held = output.next(new RegExp(`_cacheGroupMessageAndProbe groupID:${groupId}`));
    const first = emulator.postGroupMessage({
      groupId,
      from: audience.sender,
      content: { text: 'first' },
    });
    await held;
    // Reading the channel makes the SDK know the group; the held push is still held.
    await getChannel(client, groupId);
    const second = emulator.postGroupMessage({
      groupId,
      from: audience.sender,
      content: { text: 'second' },
    });
    await waitUntil(() => seqs(groupId).length >= 2, 10_000, 'both messages');
    expect(seqs(groupId)).toEqual([first.seq, second.seq]);
  });

  it('leaves an SDK not laid out as 2.27.6 alone', () => {
    expect(keepSdkGroupPushOrder({})).toBe(false);
    const groupModule = { hasLocalGroup: () => true, _commonGroupHandler: {} };
    expect(keepSdkGroupPushOrder({ _m: { getModule: () => groupModule } })).toBe(false);
    expect(groupModule._commonGroupHandler).toEqual({});
  });
});
