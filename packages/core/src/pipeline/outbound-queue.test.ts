import { describe, expect, it } from 'vitest';
import type { ConversationRef } from '../conversation/conversation-ref.js';
import { ClawlinkError } from '../errors/clawlink-error.js';
import { TimError } from '../errors/tim-error.js';
import { manualClock } from '../runtime/manual-clock.js';
import { toTimError } from '../tim/tim-error-map.js';
import {
  createOutboundQueue,
  isTransientSendError,
  type OutboundQueueOptions,
  sendWithRetry,
} from './outbound-queue.js';

const GROUP: ConversationRef = { type: 'group', id: 'g1' };
const OTHER_GROUP: ConversationRef = { type: 'group', id: 'g2' };
const ALICE: ConversationRef = { type: 'c2c', id: 'alice' };
const BOB: ConversationRef = { type: 'c2c', id: 'bob' };

/** Lets every promise chain that can move on do so (no time passes). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

type Clock = ReturnType<typeof manualClock>;

/** Moves the fake clock forward 1 ms at a time, settling promises after each step. */
async function advance(clock: Clock, ms: number): Promise<void> {
  await settle();
  for (let i = 0; i < ms; i++) {
    clock.advance(1);
    await settle();
  }
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A queue whose sends are recorded as `key:part@time`; `fail` decides per call. */
function setup(
  overrides: Partial<OutboundQueueOptions<string, string>> = {},
  fail: (part: string, call: number) => unknown = () => undefined,
) {
  const clock = manualClock(0);
  const sent: string[] = [];
  let calls = 0;
  const queue = createOutboundQueue<string, string>({
    clock,
    accountMessagesPerSecond: 1000,
    retry: { random: () => 0, initialDelayMs: 100, maxDelayMs: 1000, maxAttempts: 4 },
    send: async (conversation, part) => {
      calls++;
      const error = fail(part, calls);
      if (error) throw error;
      sent.push(`${conversation.id}:${part}@${clock.now()}`);
      return `id-${part}`;
    },
    ...overrides,
  });
  return { clock, queue, sent, calls: () => calls };
}

describe('isTransientSendError', () => {
  it('follows the error’s own retryable, else the codes and network failures', () => {
    expect(isTransientSendError(new TimError('RATE_LIMITED', 'slow down'))).toBe(true);
    expect(isTransientSendError(new TimError('NOT_CONNECTED', 'offline'))).toBe(true);
    expect(isTransientSendError(new TimError('TIMEOUT', 'late'))).toBe(true);
    expect(isTransientSendError(toTimError('send', { code: 2801 }))).toBe(true);
    expect(isTransientSendError(toTimError('send', { code: 80002 }))).toBe(false); // TOO_LARGE
    expect(isTransientSendError(toTimError('send', { code: 10017 }))).toBe(false); // muted
    expect(isTransientSendError(toTimError('send', { code: 10010 }))).toBe(false); // no group
    expect(
      isTransientSendError(new ClawlinkError('RATE_LIMITED', 'no', { retryable: false })),
    ).toBe(false);
    expect(isTransientSendError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(
      true,
    );
    expect(isTransientSendError(new Error('bug'))).toBe(false);
    expect(isTransientSendError('text')).toBe(false);
  });
});

describe('sendWithRetry', () => {
  it('waits retryAfterMs when the error carries it, capped at maxDelayMs', async () => {
    const clock = manualClock(0);
    const times: number[] = [];
    const result = sendWithRetry(
      async (attempt) => {
        times.push(clock.now());
        if (attempt === 1) throw new ClawlinkError('RATE_LIMITED', 'wait', { retryAfterMs: 300 });
        if (attempt === 2)
          throw new ClawlinkError('RATE_LIMITED', 'wait', { retryAfterMs: 60_000 });
        return 'ok';
      },
      { clock, maxDelayMs: 500, random: () => 0 },
    );
    await advance(clock, 800);
    await expect(result).resolves.toBe('ok');
    expect(times).toEqual([0, 300, 800]);
  });
});

describe('createOutboundQueue', () => {
  it('sends the parts of a reply in order and the replies of a conversation one after another', async () => {
    const clock = manualClock(0);
    const gates = new Map<string, ReturnType<typeof deferred<void>>>();
    const started: string[] = [];
    const queue = createOutboundQueue<string, string>({
      clock,
      send: async (conversation, part) => {
        started.push(`${conversation.id}:${part}`);
        const gate = deferred<void>();
        gates.set(part, gate);
        await gate.promise;
        return part;
      },
    });
    const first = queue.send(ALICE, ['a1', 'a2']);
    const second = queue.send(ALICE, ['a3']);
    const other = queue.send(BOB, ['b1']);
    await settle();
    // Alice's second part waits for her first; Bob's conversation is not held up.
    expect(started).toEqual(['alice:a1', 'bob:b1']);
    gates.get('a1')?.resolve();
    await settle();
    expect(started).toEqual(['alice:a1', 'bob:b1', 'alice:a2']);
    gates.get('a2')?.resolve();
    await expect(first).resolves.toEqual(['a1', 'a2']);
    await settle();
    expect(started.at(-1)).toBe('alice:a3');
    gates.get('a3')?.resolve();
    gates.get('b1')?.resolve();
    await expect(second).resolves.toEqual(['a3']);
    await expect(other).resolves.toEqual(['b1']);
  });

  it('sends at most 40 messages per second to a group', async () => {
    const { clock, queue, sent } = setup();
    const parts = Array.from({ length: 100 }, (_, i) => `p${i}`);
    const done = queue.send(GROUP, parts);
    await settle();
    expect(sent).toHaveLength(40);
    await advance(clock, 999);
    expect(sent).toHaveLength(40);
    await advance(clock, 1);
    expect(sent).toHaveLength(80);
    await advance(clock, 1000);
    await expect(done).resolves.toHaveLength(100);
    // In every one-second window, at most 40 sends.
    const times = sent.map((s) => Number(s.split('@')[1]));
    for (const t of times)
      expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(40);
  });

  it('a full group does not hold up other conversations', async () => {
    const { queue, sent } = setup({ groupMessagesPerSecond: 2 });
    void queue.send(GROUP, ['g-1', 'g-2', 'g-3']);
    await settle();
    const direct = queue.send(ALICE, ['a-1']);
    const otherGroup = queue.send(OTHER_GROUP, ['o-1']);
    await expect(direct).resolves.toEqual(['id-a-1']);
    await expect(otherGroup).resolves.toEqual(['id-o-1']);
    expect(sent).toEqual(['g1:g-1@0', 'g1:g-2@0', 'alice:a-1@0', 'g2:o-1@0']);
  });

  it('honours the per-account limit across conversations, first come first served', async () => {
    const { clock, queue, sent } = setup({ accountMessagesPerSecond: 3 });
    const a = queue.send(ALICE, ['a1', 'a2', 'a3']);
    const b = queue.send(BOB, ['b1', 'b2']);
    await settle();
    expect(sent).toEqual(['alice:a1@0', 'bob:b1@0', 'alice:a2@0']);
    await advance(clock, 1000);
    await expect(a).resolves.toHaveLength(3);
    await expect(b).resolves.toHaveLength(2);
    expect(sent.slice(3)).toEqual(['bob:b2@1000', 'alice:a3@1000']);
  });

  it('retries transient errors with backoff and succeeds', async () => {
    const { clock, queue, sent, calls } = setup({}, (_part, call) =>
      call <= 2 ? toTimError('sendMessage', { code: 10023 }) : undefined,
    );
    const done = queue.send(GROUP, ['hello']);
    await settle();
    expect(calls()).toBe(1);
    // Backoff with no jitter: 50 ms, then 100 ms.
    await advance(clock, 49);
    expect(calls()).toBe(1);
    await advance(clock, 1);
    expect(calls()).toBe(2);
    await advance(clock, 100);
    await expect(done).resolves.toEqual(['id-hello']);
    expect(sent).toEqual(['g1:hello@150']);
  });

  it('retries a network failure, but never forever', async () => {
    const { clock, queue, calls } = setup({}, () =>
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    );
    const done = queue.send(ALICE, ['x']);
    const outcome = done.catch((error: unknown) => error);
    await advance(clock, 2000);
    const error = await outcome;
    expect((error as { code: string }).code).toBe('ECONNRESET');
    expect(calls()).toBe(4);
  });

  it('rejects with the typed error of a permanent failure, skips the rest of that reply, and moves on', async () => {
    const { queue, sent, calls } = setup({}, (part) =>
      part === 'muted' ? toTimError('sendMessage', { code: 10017 }) : undefined,
    );
    const failed = queue.send(GROUP, ['one', 'muted', 'never']);
    const next = queue.send(GROUP, ['after']);
    const error = await failed.catch((e: unknown) => e);
    expect(TimError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED', timCode: 10017 });
    await expect(next).resolves.toEqual(['id-after']);
    expect(sent).toEqual(['g1:one@0', 'g1:after@0']);
    expect(calls()).toBe(3);
  });

  it('surfaces TOO_LARGE and CHANNEL_NOT_FOUND without retrying', async () => {
    const errors = [toTimError('send', { code: 80002 }), toTimError('send', { code: 10010 })];
    const { queue, calls } = setup({}, (_part, call) => errors[call - 1]);
    await expect(queue.send(GROUP, ['big'])).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await expect(queue.send(GROUP, ['gone'])).rejects.toMatchObject({ code: 'CHANNEL_NOT_FOUND' });
    expect(calls()).toBe(2);
  });

  it('stop rejects what is queued with STOPPED, cuts retry waits short and awaits a send in flight', async () => {
    const clock = manualClock(0);
    const inFlight = deferred<string>();
    let calls = 0;
    const queue = createOutboundQueue<string, string>({
      clock,
      retry: { random: () => 0 },
      send: async (conversation, part) => {
        calls++;
        if (conversation.id === 'bob') throw new TimError('NOT_CONNECTED', 'offline');
        return part === 'slow' ? inFlight.promise : part;
      },
    });
    const slow = queue.send(ALICE, ['slow', 'later']);
    const queued = queue.send(ALICE, ['queued']);
    const retrying = queue.send(BOB, ['b']);
    await settle();
    let stopped = false;
    const stopping = queue.stop().then(() => {
      stopped = true;
    });
    await expect(queued).rejects.toMatchObject({ code: 'STOPPED' });
    await expect(retrying).rejects.toMatchObject({ code: 'STOPPED' });
    await settle();
    expect(stopped).toBe(false);
    inFlight.resolve('slow');
    await stopping;
    await expect(slow).rejects.toMatchObject({ code: 'STOPPED' });
    await expect(queue.send(ALICE, ['x'])).rejects.toMatchObject({ code: 'STOPPED' });
    expect(calls).toBe(2);
    expect(clock.pending()).toBe(0);
  });

  it('refuses rates that are not positive integers', () => {
    const send = async () => 'x';
    expect(() =>
      createOutboundQueue({ clock: manualClock(0), send, groupMessagesPerSecond: 0 }),
    ).toThrow(/groupMessagesPerSecond/);
    expect(() =>
      createOutboundQueue({ clock: manualClock(0), send, accountMessagesPerSecond: 1.5 }),
    ).toThrow(/accountMessagesPerSecond/);
  });
});
