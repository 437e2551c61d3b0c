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
    const settle = async (i: number) => {
      releases.get(i)?.();
      for (let k = 0; k < 5; k += 1) await Promise.resolve();
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
