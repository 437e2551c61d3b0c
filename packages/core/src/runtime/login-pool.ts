/** What {@link runLoginPool} reports after each start settles. */
export interface LoginPoolProgress {
  /** How many starts there are in all. */
  readonly total: number;
  /** How many have settled (resolved or thrown). */
  readonly settled: number;
  /** How many threw. */
  readonly failed: number;
  /** How many are running now. */
  readonly inFlight: number;
  /** How many have not begun yet. */
  readonly waiting: number;
}

/** Options of {@link runLoginPool}. */
export interface LoginPoolOptions {
  /**
   * Resolves on a later turn of the event loop; default `setImmediate`. Every start waits for
   * a turn of its own, one after the other.
   */
  nextTurn?: () => Promise<void>;
}

/** The next turn of the event loop, after the pending I/O and timers. */
const nextImmediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `start` for every item, at most `limit` at once and in order: the next begins as soon
 * as one settles. Each start begins on a turn of the event loop of its own (`nextTurn`), so
 * the synchronous part of one start (opening its state file, creating its SDK instance)
 * never runs in the same turn as another's: the I/O and timers of the logins in flight run
 * between two starts instead of waiting behind a burst of them. Calls `onProgress` after each
 * settles, with the item. Resolves, once every start has settled, with the errors of those
 * that threw (in item order).
 */
export async function runLoginPool<T>(
  items: readonly T[],
  limit: number,
  start: (item: T) => Promise<void>,
  onProgress: (progress: LoginPoolProgress, item: T) => void,
  options: LoginPoolOptions = {},
): Promise<{ item: T; error: unknown }[]> {
  const nextTurn = options.nextTurn ?? nextImmediate;
  const failures: { index: number; item: T; error: unknown }[] = [];
  let next = 0;
  let settled = 0;
  let inFlight = 0;
  // The turns, one after another: a worker's turn comes only after the previous worker's.
  let turns: Promise<void> = Promise.resolve();
  const myTurn = (): Promise<void> => {
    turns = turns.then(nextTurn);
    return turns;
  };
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      const item = items[index] as T;
      inFlight += 1;
      try {
        await myTurn();
        await start(item);
      } catch (error) {
        failures.push({ index, item, error });
      }
      inFlight -= 1;
      settled += 1;
      onProgress(
        {
          total: items.length,
          settled,
          failed: failures.length,
          inFlight,
          waiting: items.length - next,
        },
        item,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return failures.sort((a, b) => a.index - b.index).map(({ item, error }) => ({ item, error }));
}
