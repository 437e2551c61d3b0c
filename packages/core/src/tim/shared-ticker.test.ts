import { describe, expect, it } from 'vitest';
import { createSharedTicker, type IntervalSource } from './shared-ticker.js';

/** Real intervals that run only when a test fires them, and report their ref state. */
function manualIntervals() {
  let nextId = 0;
  const running = new Map<number, { fn: () => void; ms: number; ref: boolean }>();
  const source: IntervalSource = {
    setInterval(fn, ms) {
      const id = ++nextId;
      const entry = { fn, ms, ref: true };
      running.set(id, entry);
      return {
        id,
        ref: () => {
          entry.ref = true;
        },
        unref: () => {
          entry.ref = false;
        },
      };
    },
    clearInterval(handle) {
      running.delete((handle as unknown as { id: number }).id);
    },
  };
  return {
    source,
    /** The real intervals running now, as [period, ref'd]. */
    running: () => [...running.values()].map((entry) => [entry.ms, entry.ref]),
    /** Fires every real interval of period `ms` once. */
    tick(ms: number) {
      for (const entry of [...running.values()]) if (entry.ms === ms) entry.fn();
    },
  };
}

const fail = (error: unknown) => {
  throw error;
};

describe('createSharedTicker', () => {
  it('drives every callback of one period from one real interval, stopped with the last', () => {
    const clock = manualIntervals();
    const ticker = createSharedTicker(clock.source);
    const calls: string[] = [];
    const a = ticker.every(1000, () => calls.push('a'), fail);
    const b = ticker.every(1000, () => calls.push('b'), fail);
    const c = ticker.every(250, () => calls.push('c'), fail);
    expect(clock.running()).toEqual([
      [1000, true],
      [250, true],
    ]);
    expect(ticker.intervals()).toBe(2);
    clock.tick(1000);
    clock.tick(1000);
    expect(calls).toEqual(['a', 'b', 'a', 'b']);

    a.cancel();
    clock.tick(1000);
    expect(calls.slice(4)).toEqual(['b']);
    b.cancel();
    c.cancel();
    expect(clock.running()).toEqual([]);
    expect(ticker.intervals()).toBe(0);
    expect(ticker.subscriptions()).toBe(0);
    // A new callback after the last one went starts a new real interval.
    ticker.every(1000, () => calls.push('d'), fail);
    clock.tick(1000);
    expect(calls.at(-1)).toBe('d');
    expect(clock.running()).toEqual([[1000, true]]);
  });

  it('lets a callback clear itself or a later one inside the tick, and defers one added there', () => {
    const clock = manualIntervals();
    const ticker = createSharedTicker(clock.source);
    const calls: string[] = [];
    const self = ticker.every(
      1000,
      () => {
        calls.push('self');
        self.cancel();
        later.cancel();
        ticker.every(1000, () => calls.push('added'), fail);
      },
      fail,
    );
    const later = ticker.every(1000, () => calls.push('later'), fail);
    ticker.every(1000, () => calls.push('kept'), fail);
    clock.tick(1000);
    expect(calls).toEqual(['self', 'kept']);
    clock.tick(1000);
    expect(calls.slice(2)).toEqual(['kept', 'added']);
  });

  it('hands what a callback throws to its onError and still runs the others', () => {
    const clock = manualIntervals();
    const ticker = createSharedTicker(clock.source);
    const errors: unknown[] = [];
    const calls: string[] = [];
    ticker.every(1000, () => calls.push('before'), fail);
    ticker.every(
      1000,
      () => {
        throw new Error('boom');
      },
      (error) => errors.push(error),
    );
    ticker.every(1000, () => calls.push('after'), fail);
    clock.tick(1000);
    expect(calls).toEqual(['before', 'after']);
    expect(errors).toEqual([new Error('boom')]);
  });

  it('keeps the process alive exactly while one of its callbacks does', () => {
    const clock = manualIntervals();
    const ticker = createSharedTicker(clock.source);
    const a = ticker.every(1000, () => {}, fail);
    const b = ticker.every(1000, () => {}, fail);
    expect(a.hasRef()).toBe(true);
    a.unref();
    expect(clock.running()).toEqual([[1000, true]]);
    b.unref();
    expect(clock.running()).toEqual([[1000, false]]);
    a.ref();
    expect(clock.running()).toEqual([[1000, true]]);
    a.cancel();
    expect(a.hasRef()).toBe(false);
    expect(clock.running()).toEqual([[1000, false]]);
    const c = ticker.every(1000, () => {}, fail);
    expect(clock.running()).toEqual([[1000, true]]);
    c.unref().unref();
    expect(clock.running()).toEqual([[1000, false]]);
  });

  it('gives handles that compare as positive numbers, and takes periods the way Node does', () => {
    const clock = manualIntervals();
    const ticker = createSharedTicker(clock.source);
    const a = ticker.every(1000, () => {}, fail);
    const b = ticker.every(1000, () => {}, fail);
    // tim-js-sdk tests its interval handles with `handle > 0` and `handle < 0`.
    expect(Number(a)).toBeGreaterThan(0);
    expect(Number(b)).toBeGreaterThan(Number(a));
    ticker.every(0, () => {}, fail);
    ticker.every(Number.NaN, () => {}, fail);
    ticker.every(2 ** 31, () => {}, fail);
    expect(clock.running()).toEqual([
      [1000, true],
      [1, true],
    ]);
  });

  it('on Node timers: one Timeout while callbacks are registered, none after', async () => {
    const timeouts = () =>
      process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timeouts();
    const ticker = createSharedTicker();
    const ticks: number[] = [];
    const subscriptions = Array.from({ length: 50 }, (_, i) =>
      ticker.every(5, () => ticks.push(i), fail),
    );
    expect(timeouts()).toBe(before + 1);
    await new Promise<void>((resolve) => {
      const check = ticker.every(
        5,
        () => {
          if (ticks.length < 100) return;
          check.cancel();
          resolve();
        },
        fail,
      );
    });
    for (const subscription of subscriptions) subscription.cancel();
    expect(ticker.intervals()).toBe(0);
    expect(timeouts()).toBe(before);
  });

  it('runs a long tick in slices over several turns, skipping a tick that comes meanwhile', () => {
    const clock = manualIntervals();
    let time = 0;
    const turns: Array<() => void> = [];
    const ticker = createSharedTicker(
      { ...clock.source, now: () => time, nextTurn: (fn) => turns.push(fn) },
      { sliceMs: 10 },
    );
    const calls: number[] = [];
    const subscriptions = Array.from({ length: 5 }, (_, i) =>
      ticker.every(
        1000,
        () => {
          calls.push(i);
          time += 4; // each callback takes 4 ms
        },
        fail,
      ),
    );
    clock.tick(1000);
    // 4 + 4 + 4 >= 10 ms: three callbacks in the first turn, the rest wait for the next.
    expect(calls).toEqual([0, 1, 2]);
    expect(turns).toHaveLength(1);
    // A tick while this one runs is skipped; one cancelled between slices does not run.
    clock.tick(1000);
    subscriptions[3]?.cancel();
    turns.shift()?.();
    expect(calls).toEqual([0, 1, 2, 4]);
    expect(turns).toHaveLength(0);
    clock.tick(1000);
    expect(calls).toEqual([0, 1, 2, 4, 0, 1, 2]);
  });
});
