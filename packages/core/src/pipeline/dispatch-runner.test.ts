import { describe, expect, it } from 'vitest';
import { ClawlinkError } from '../errors/clawlink-error.js';
import type { Logger } from '../logging/logger.js';
import { manualClock } from '../runtime/manual-clock.js';
import { createDispatchRunner, type DispatchRunnerOptions } from './dispatch-runner.js';

/** Lets every promise chain that can move on do so (no time passes). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

type Clock = ReturnType<typeof manualClock>;

/** Moves the fake clock forward in `step` ms steps, settling promises around each step. */
async function advance(clock: Clock, ms: number, step = 10): Promise<void> {
  await settle();
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await settle();
  }
}

function captureLogger(lines: { level: string; obj: unknown; msg?: string }[]): Logger {
  const write = (level: string) => (obj: object | string, msg?: string) => {
    lines.push({ level, obj, msg });
  };
  const logger: Logger = {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: () => logger,
  };
  return logger;
}

function runner(overrides: Partial<DispatchRunnerOptions> = {}) {
  const clock = manualClock(0);
  const lines: { level: string; obj: unknown; msg?: string }[] = [];
  const dispatch = createDispatchRunner({
    clock,
    timeoutMs: 5_000,
    maxAttempts: 3,
    backoff: { random: () => 0 },
    logger: captureLogger(lines),
    ...overrides,
  });
  return { clock, dispatch, lines };
}

describe('createDispatchRunner', () => {
  it('returns what the first attempt returns, with a live signal', async () => {
    const { dispatch, clock } = runner();
    let seen: AbortSignal | undefined;
    const outcome = await dispatch.run((signal, attempt) => {
      seen = signal;
      return `answer ${attempt}`;
    });
    expect(outcome).toEqual({ status: 'done', value: 'answer 1', attempts: 1 });
    expect(seen?.aborted).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it('retries a throwing dispatch with capped backoff and counts every attempt', async () => {
    const { dispatch, clock } = runner();
    const times: number[] = [];
    const outcome = dispatch.run(async (_signal, attempt) => {
      times.push(clock.now());
      if (attempt < 3) throw new Error(`flaky ${attempt}`);
      return 'ok';
    });
    await advance(clock, 2_000);
    await expect(outcome).resolves.toEqual({ status: 'done', value: 'ok', attempts: 3 });
    // Backoff without jitter: 500 ms, then 1000 ms.
    expect(times).toEqual([0, 500, 1500]);
  });

  it('reports failure after maxAttempts, keeps the cause, and logs no stack above debug', async () => {
    const { dispatch, clock, lines } = runner({ maxAttempts: 2 });
    const thrown = new TypeError('model exploded\n  with detail');
    const outcome = dispatch.run(
      () => {
        throw thrown;
      },
      { context: { conversation: 'group:g1' } },
    );
    await advance(clock, 1_000);
    const result = await outcome;
    expect(result).toEqual({
      status: 'failed',
      reason: 'threw',
      message: 'TypeError: model exploded with detail',
      cause: thrown,
      attempts: 2,
    });
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings.map((l) => l.msg)).toEqual([
      'dispatch failed; retrying',
      'dispatch failed; giving up',
    ]);
    for (const line of lines.filter((l) => l.level !== 'debug')) {
      expect(JSON.stringify(line)).not.toContain('dispatch-runner.test');
    }
    expect(lines.some((l) => l.level === 'debug' && JSON.stringify(l).includes('at '))).toBe(true);
  });

  it('aborts an attempt that outlives timeoutMs, retries it, and ignores its late answer', async () => {
    const { dispatch, clock } = runner({ maxAttempts: 2, timeoutMs: 1_000 });
    const signals: AbortSignal[] = [];
    const outcome = dispatch.run(
      (signal) =>
        new Promise<string>((resolve) => {
          signals.push(signal);
          // Answers only long after the timeout, as a host that ignores its signal would.
          clock.setTimeout(() => resolve('too late'), 10_000);
        }),
    );
    await advance(clock, 1_000);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toMatchObject({ code: 'TIMEOUT' });
    await advance(clock, 1_500);
    const result = await outcome;
    expect(result).toMatchObject({ status: 'failed', reason: 'timeout', attempts: 2 });
    expect(ClawlinkError.isInstance((result as { cause: unknown }).cause)).toBe(true);
    expect(signals).toHaveLength(2);
  });

  it('stop aborts the running attempt and does not retry it', async () => {
    const { dispatch, clock } = runner();
    let signal: AbortSignal | undefined;
    let attempts = 0;
    const outcome = dispatch.run(
      (s) =>
        new Promise<string>((_resolve, reject) => {
          attempts++;
          signal = s;
          s.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    );
    await settle();
    dispatch.stop();
    await expect(outcome).resolves.toEqual({ status: 'stopped', attempts: 1 });
    expect(signal?.reason).toMatchObject({ code: 'STOPPED' });
    await advance(clock, 60_000, 1_000);
    expect(attempts).toBe(1);
    expect(clock.pending()).toBe(0);
    // Later runs are stopped at once.
    await expect(dispatch.run(() => 'x')).resolves.toEqual({ status: 'stopped', attempts: 0 });
  });

  it('a stop during the wait between attempts ends the run as stopped', async () => {
    const { dispatch, clock } = runner();
    const outcome = dispatch.run(() => {
      throw new Error('fails');
    });
    await settle();
    expect(clock.pending()).toBe(1);
    dispatch.stop();
    await expect(outcome).resolves.toEqual({ status: 'stopped', attempts: 1 });
    expect(clock.pending()).toBe(0);
  });

  it('honours the caller’s signal', async () => {
    const { dispatch } = runner();
    const controller = new AbortController();
    const outcome = dispatch.run((signal) => new Promise(() => signal), {
      signal: controller.signal,
    });
    await settle();
    controller.abort();
    await expect(outcome).resolves.toEqual({ status: 'stopped', attempts: 1 });
    let called = false;
    const already = await dispatch.run(
      () => {
        called = true;
      },
      { signal: controller.signal },
    );
    expect(already).toEqual({ status: 'stopped', attempts: 0 });
    expect(called).toBe(false);
  });

  it('refuses a timeout or attempt count that is not a positive integer', () => {
    const clock = manualClock(0);
    expect(() => createDispatchRunner({ clock, timeoutMs: 0, maxAttempts: 1 })).toThrow(
      /timeoutMs/,
    );
    expect(() => createDispatchRunner({ clock, timeoutMs: 10, maxAttempts: 0 })).toThrow(
      /maxAttempts/,
    );
  });
});
