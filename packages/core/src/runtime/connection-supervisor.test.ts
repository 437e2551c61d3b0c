import { describe, expect, it } from 'vitest';
import { ConnectionSupervisor } from './connection-supervisor.js';
import { manualClock } from './manual-clock.js';

describe('ConnectionSupervisor', () => {
  it('runs each kind of timer once, replacing a pending one of the same kind', () => {
    const clock = manualClock(0);
    const supervisor = new ConnectionSupervisor(clock);
    const ran: string[] = [];
    supervisor.schedule('retry', 100, () => ran.push('retry 1'));
    supervisor.schedule('retry', 300, () => ran.push('retry 2'));
    supervisor.schedule('grace', 200, () => ran.push('grace'));
    clock.advance(250);
    expect(ran).toEqual(['grace']);
    clock.advance(100);
    expect(ran).toEqual(['grace', 'retry 2']);
    expect(clock.pending()).toBe(0);
  });

  it('cancels one kind, or every timer', () => {
    const clock = manualClock(0);
    const supervisor = new ConnectionSupervisor(clock);
    const ran: string[] = [];
    supervisor.schedule('retry', 100, () => ran.push('retry'));
    supervisor.schedule('refresh', 100, () => ran.push('refresh'));
    supervisor.schedule('grace', 100, () => ran.push('grace'));
    supervisor.cancel('grace');
    expect(clock.pending()).toBe(2);
    supervisor.cancelAll();
    expect(clock.pending()).toBe(0);
    clock.advance(1_000);
    expect(ran).toEqual([]);
  });

  it('grows the backoff with each failure and starts over after a success', () => {
    const supervisor = new ConnectionSupervisor(manualClock(0));
    const policy = { initialDelayMs: 100, maxDelayMs: 10_000 };
    const first = supervisor.nextBackoff(policy);
    supervisor.nextBackoff(policy);
    const third = supervisor.nextBackoff(policy);
    expect(third).toBeGreaterThan(first);
    supervisor.resetBackoff();
    expect(supervisor.nextBackoff(policy)).toBeLessThanOrEqual(first * 2);
  });
});
