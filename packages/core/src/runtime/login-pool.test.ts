import { describe, expect, it } from 'vitest';
import { type LoginPoolProgress, runLoginPool } from './login-pool.js';

describe('runLoginPool', () => {
  it('runs at most `limit` at once, in order, and collects the failures in item order', async () => {
    const releases = new Map<number, () => void>();
    const began: number[] = [];
    let running = 0;
    let most = 0;
    const progress: LoginPoolProgress[] = [];
    const done = runLoginPool(
      Array.from({ length: 7 }, (_, i) => i),
      3,
      (i) =>
        new Promise<void>((resolve, reject) => {
          began.push(i);
          running += 1;
          most = Math.max(most, running);
          releases.set(i, () => {
            running -= 1;
            if (i % 3 === 1) reject(new Error(`no ${i}`));
            else resolve();
          });
        }),
      (p) => progress.push(p),
    );
    // Each start waits for a turn of the event loop of its own: let a few turns pass.
    const settle = async (i: number) => {
      releases.get(i)?.();
      for (let k = 0; k < 8; k += 1) await new Promise((resolve) => setImmediate(resolve));
    };
    await settle(-1);
    expect(began).toEqual([0, 1, 2]);
    await settle(1);
    expect(began).toEqual([0, 1, 2, 3]);
    for (const i of [0, 2, 3, 4, 5, 6]) await settle(i);
    const failures = await done;
    expect(most).toBe(3);
    expect(began).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(failures.map((f) => [f.item, (f.error as Error).message])).toEqual([
      [1, 'no 1'],
      [4, 'no 4'],
    ]);
    expect(progress.map((p) => p.settled)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(progress.at(-1)).toEqual({ total: 7, settled: 7, failed: 2, inFlight: 0, waiting: 0 });
  });

  it('begins each start on a turn of the event loop of its own, never two in one turn', async () => {
    // A ticker on the same event loop: it ticks once per turn, so two starts with no tick
    // between them ran in one turn, one after the other, the I/O of the turn waiting on both.
    const log: string[] = [];
    let ticking = true;
    const tick = () => {
      log.push('tick');
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    await runLoginPool(
      [0, 1, 2, 3, 4, 5],
      4,
      async (i) => {
        log.push(`start ${i}`);
        await new Promise((resolve) => setImmediate(resolve));
      },
      () => {},
    );
    ticking = false;
    const starts = log.flatMap((entry, at) => (entry.startsWith('start') ? [at] : []));
    expect(starts).toHaveLength(6);
    for (let k = 1; k < starts.length; k += 1) {
      expect(log.slice(starts[k - 1], starts[k])).toContain('tick');
    }
  });

  it('waits for its own turn before each start, one turn after another', async () => {
    const turns: (() => void)[] = [];
    const began: number[] = [];
    const flush = async () => {
      for (let k = 0; k < 10; k += 1) await Promise.resolve();
    };
    const done = runLoginPool(
      [0, 1, 2],
      3,
      async (i) => {
        began.push(i);
      },
      () => {},
      { nextTurn: () => new Promise<void>((resolve) => turns.push(resolve)) },
    );
    await flush();
    // Three workers, yet one turn asked for at a time, and nothing started before it.
    expect([turns.length, began]).toEqual([1, []]);
    for (const expected of [[0], [0, 1], [0, 1, 2]]) {
      turns.shift()?.();
      await flush();
      expect(began).toEqual(expected);
    }
    expect(await done).toEqual([]);
  });

  it('resolves at once with nothing to start', async () => {
    expect(
      await runLoginPool(
        [],
        5,
        async () => {},
        () => {},
      ),
    ).toEqual([]);
  });
});
