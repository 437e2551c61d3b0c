import { describe, expect, it } from 'vitest';
import type { ConversationRef } from '../conversation/conversation-ref.js';
import { manualClock } from '../runtime/manual-clock.js';
import {
  type ConversationBatch,
  type ConversationQueueOptions,
  createConversationQueue,
} from './conversation-queue.js';

const G1: ConversationRef = { type: 'group', id: 'g1' };
const G2: ConversationRef = { type: 'group', id: 'g2' };
const G3: ConversationRef = { type: 'group', id: 'g3' };

/** Lets every promise chain that can move on do so (no time passes). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

type Clock = ReturnType<typeof manualClock>;

/** Moves the fake clock forward 1 ms at a time, settling promises around each step. */
async function advance(clock: Clock, ms: number): Promise<void> {
  await settle();
  for (let i = 0; i < ms; i++) {
    clock.advance(1);
    await settle();
  }
}

/**
 * A queue whose dispatch records each batch and waits until the test releases it
 * (`release(key)` settles the oldest running batch of that conversation).
 */
function setup(overrides: Partial<ConversationQueueOptions<string>> = {}) {
  const clock = manualClock(0);
  const batches: (Omit<ConversationBatch<string>, 'conversation'> & { at: number })[] = [];
  const waiting = new Map<string, (() => void)[]>();
  const signals: AbortSignal[] = [];
  const queue = createConversationQueue<string>({
    clock,
    windowMs: 100,
    maxBatch: 3,
    concurrency: 2,
    dispatch: (batch, signal) => {
      batches.push({ key: batch.key, items: batch.items, catchUp: batch.catchUp, at: clock.now() });
      signals.push(signal);
      return new Promise<void>((resolve) => {
        const list = waiting.get(batch.key) ?? [];
        list.push(resolve);
        waiting.set(batch.key, list);
      });
    },
    ...overrides,
  });
  const release = async (key: string) => {
    waiting.get(key)?.shift()?.();
    await settle();
  };
  const summary = () =>
    batches.map((b) => `${b.key}${b.catchUp ? '(catch-up)' : ''}:${b.items.join(',')}@${b.at}`);
  return { clock, queue, batches, release, summary, signals };
}

describe('createConversationQueue', () => {
  it('coalesces a burst into one batch once the conversation is quiet for windowMs', async () => {
    const { clock, queue, summary } = setup();
    queue.enqueue(G1, 'a');
    await advance(clock, 50);
    queue.enqueue(G1, 'b');
    // The window restarts with each arrival: nothing at 100, the batch at 150.
    await advance(clock, 99);
    expect(summary()).toEqual([]);
    expect(queue.depth('group:g1')).toBe(2);
    await advance(clock, 1);
    expect(summary()).toEqual(['group:g1:a,b@150']);
    expect(queue.depth('group:g1')).toBe(0);
  });

  it('dispatches a full batch at once and puts the rest of the burst in the next batch', async () => {
    const { clock, queue, summary, release } = setup();
    for (const item of ['1', '2', '3', '4', '5']) queue.enqueue(G1, item);
    await settle();
    expect(summary()).toEqual(['group:g1:1,2,3@0']);
    await release('group:g1');
    // The rest of the burst waits for the window (no more arrivals), then goes.
    await advance(clock, 100);
    expect(summary()).toEqual(['group:g1:1,2,3@0', 'group:g1:4,5@100']);
  });

  it('keeps strict order per conversation: what arrives during a dispatch goes in the next batch', async () => {
    const { clock, queue, summary, release } = setup({ windowMs: 0 });
    queue.enqueue(G1, 'a');
    await settle();
    expect(summary()).toEqual(['group:g1:a@0']);
    queue.enqueue(G1, 'b');
    queue.enqueue(G1, 'c');
    await advance(clock, 500);
    expect(summary()).toEqual(['group:g1:a@0']);
    expect(queue.depths()).toEqual(new Map([['group:g1', 2]]));
    await release('group:g1');
    expect(summary()).toEqual(['group:g1:a@0', 'group:g1:b,c@500']);
  });

  it('runs conversations side by side up to the concurrency cap', async () => {
    const { queue, summary, release } = setup({ windowMs: 0 });
    queue.enqueue(G1, 'a');
    queue.enqueue(G2, 'b');
    queue.enqueue(G3, 'c');
    await settle();
    expect(summary()).toEqual(['group:g1:a@0', 'group:g2:b@0']);
    expect(queue.depth('group:g3')).toBe(1);
    await release('group:g2');
    expect(summary()).toEqual(['group:g1:a@0', 'group:g2:b@0', 'group:g3:c@0']);
  });

  it('dispatches catch-up batches first, without debounce and never mixed with live items', async () => {
    const { clock, queue, summary, release } = setup();
    queue.enqueue(G1, 'h1', { catchUp: true });
    queue.enqueue(G1, 'h2', { catchUp: true });
    queue.enqueue(G1, 'h3', { catchUp: true });
    queue.enqueue(G1, 'h4', { catchUp: true });
    queue.enqueue(G1, 'live1');
    await settle();
    expect(summary()).toEqual(['group:g1(catch-up):h1,h2,h3@0']);
    await advance(clock, 200);
    // The live item's window has passed, but the remaining catch-up item goes first.
    await release('group:g1');
    expect(summary().at(-1)).toBe('group:g1(catch-up):h4@200');
    await release('group:g1');
    expect(summary().at(-1)).toBe('group:g1:live1@200');
  });

  it('a failing dispatch does not stall the conversation', async () => {
    const clock = manualClock(0);
    const seen: string[] = [];
    const queue = createConversationQueue<string>({
      clock,
      windowMs: 0,
      maxBatch: 1,
      concurrency: 1,
      dispatch: async (batch) => {
        seen.push(...batch.items);
        if (batch.items[0] === 'bad') throw new Error('host bug');
      },
    });
    queue.enqueue(G1, 'bad');
    queue.enqueue(G1, 'good');
    await settle();
    expect(seen).toEqual(['bad', 'good']);
  });

  it('stop drops and returns what is queued, aborts running batches and waits for them', async () => {
    const { queue, release, signals, summary } = setup({ windowMs: 0, concurrency: 1 });
    queue.enqueue(G1, 'running');
    queue.enqueue(G2, 'queued-1');
    queue.enqueue(G2, 'queued-2', { catchUp: true });
    await settle();
    expect(summary()).toEqual(['group:g1:running@0']);
    let stopped: string[] | undefined;
    const stopping = queue.stop().then((dropped) => {
      stopped = dropped;
    });
    await settle();
    expect(signals[0]?.aborted).toBe(true);
    expect(stopped).toBeUndefined();
    await release('group:g1');
    await stopping;
    expect(stopped).toEqual(['queued-2', 'queued-1']);
    expect(summary()).toEqual(['group:g1:running@0']);
    expect(queue.depths().size).toBe(0);
    expect(() => queue.enqueue(G1, 'late')).toThrow(expect.objectContaining({ code: 'STOPPED' }));
    await expect(queue.stop()).resolves.toEqual([]);
  });

  it('stop clears the debounce timers', async () => {
    const { clock, queue } = setup();
    queue.enqueue(G1, 'a');
    expect(clock.pending()).toBe(1);
    await expect(queue.stop()).resolves.toEqual(['a']);
    expect(clock.pending()).toBe(0);
  });

  it('refuses options out of range', () => {
    const base = {
      clock: manualClock(0),
      dispatch: async () => {},
      windowMs: 0,
      maxBatch: 1,
      concurrency: 1,
    };
    expect(() => createConversationQueue({ ...base, windowMs: -1 })).toThrow(/windowMs/);
    expect(() => createConversationQueue({ ...base, maxBatch: 0 })).toThrow(/maxBatch/);
    expect(() => createConversationQueue({ ...base, concurrency: 1.5 })).toThrow(/concurrency/);
  });
});
